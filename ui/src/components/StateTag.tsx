import { Tag, Tooltip } from 'antd';

const colors: Record<string, string> = {
  running: 'green',
  ready: 'green',
  pending: 'default',
  analyzing: 'processing',
  scheduled: 'processing',
  initializing: 'processing',
  downloading: 'processing',
  starting: 'processing',
  partial: 'gold',
  maintenance: 'gold',
  not_ready: 'orange',
  unreachable: 'red',
  error: 'red',
};

/** A coloured state with its human message as a tooltip (and inline when it is an error). */
export function StateTag({ state, message }: { state: string; message?: string | null }) {
  const tag = (
    <Tag color={colors[state] ?? 'default'} data-state={state}>
      {state.replace('_', ' ').toUpperCase()}
    </Tag>
  );
  if (!message) return tag;
  return (
    <Tooltip title={message}>
      <span>
        {tag}
        {state === 'error' || state === 'unreachable' || state === 'not_ready' ? (
          <span style={{ color: '#cf1322', fontSize: 12 }}>{message}</span>
        ) : null}
      </span>
    </Tooltip>
  );
}
