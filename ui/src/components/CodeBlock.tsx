import { CopyOutlined } from '@ant-design/icons';
import { Button, Tooltip } from 'antd';
import { useState } from 'react';
import { useI18n } from '../i18n';

/** Copies text to the clipboard, falling back to a hidden textarea on plain-HTTP origins. */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  document.body.appendChild(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

export function CopyButton({ text, testId }: { text: string; testId?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <Tooltip title={copied ? t('common.copied') : t('common.copy')}>
      <Button
        size="small"
        icon={<CopyOutlined />}
        data-testid={testId}
        aria-label={t('common.copy')}
        onClick={async () => {
          await copyText(text);
          setCopied(true);
          window.setTimeout(() => setCopied(false), 1500);
        }}
      />
    </Tooltip>
  );
}

export function CodeBlock({ code, testId }: { code: string; testId?: string }) {
  return (
    <div style={{ position: 'relative' }}>
      <pre
        data-testid={testId}
        style={{
          background: '#f6f8fa',
          padding: 12,
          borderRadius: 6,
          overflowX: 'auto',
          fontSize: 12,
          margin: 0,
          whiteSpace: 'pre-wrap',
          wordBreak: 'break-all',
        }}
      >
        {code}
      </pre>
      <div style={{ position: 'absolute', top: 6, right: 6 }}>
        <CopyButton text={code} />
      </div>
    </div>
  );
}
