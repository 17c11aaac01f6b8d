import { Alert, Modal, Switch, Flex, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { errorFromResponse } from '../../api/http';
import { instancesApi, type ModelInstance } from '../../api/instances';
import { useI18n } from '../../i18n';

const MAX_CHARS = 500_000;

/** Streams an instance's log (text/plain, follow=true) into a scrolling box. */
export function LogsModal({ instance, onClose }: { instance: ModelInstance | null; onClose: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    if (!instance) return undefined;
    const abort = new AbortController();
    setText('');
    setError(null);
    (async () => {
      const res = await fetch(instancesApi.logsUrl(instance.id, 500, follow), { signal: abort.signal, credentials: 'same-origin' });
      if (!res.ok || !res.body) throw await errorFromResponse(res);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const chunk = decoder.decode(value, { stream: true });
        setText((prev) => (prev + chunk).slice(-MAX_CHARS));
      }
    })().catch((e: Error) => {
      if (e.name !== 'AbortError') setError(e.message);
    });
    return () => abort.abort();
  }, [instance, follow]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [text, follow]);

  return (
    <Modal open={instance !== null} title={t('logs.title', { name: instance?.name ?? '' })} onCancel={onClose} footer={null} width={960} destroyOnHidden>
      <Flex gap={8} align="center" style={{ marginBottom: 8 }}>
        <Switch checked={follow} onChange={setFollow} size="small" />
        <Typography.Text>{t('logs.follow')}</Typography.Text>
      </Flex>
      {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginBottom: 8 }} />}
      <pre
        ref={box}
        data-testid="instance-logs"
        style={{ background: '#141414', color: '#d9d9d9', height: 480, overflow: 'auto', padding: 12, fontSize: 12, margin: 0 }}
      >
        {text || t('logs.empty')}
      </pre>
    </Modal>
  );
}
