import { Tag, Tooltip } from 'antd';
import { useI18n, type MessageKey } from '../i18n';
import { en } from '../i18n/en';

const colors: Record<string, string> = {
  running: 'green',
  ready: 'green',
  pending: 'default',
  analyzing: 'processing',
  scheduled: 'processing',
  initializing: 'processing',
  downloading: 'processing',
  installing: 'processing',
  starting: 'processing',
  partial: 'gold',
  sleeping: 'purple',
  maintenance: 'gold',
  not_ready: 'orange',
  unreachable: 'red',
  error: 'red',
};

/** A coloured state with its human message as a tooltip (and inline when it is an error). */
export function StateTag({ state, message }: { state: string; message?: string | null }) {
  const { t } = useI18n();
  const key = `state.${state}`;
  // A state this UI does not know yet still shows, in the server's words.
  const label = key in en ? t(key as MessageKey) : state.replace('_', ' ').toUpperCase();
  const tag = (
    <Tag color={colors[state] ?? 'default'} data-state={state}>
      {label}
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
