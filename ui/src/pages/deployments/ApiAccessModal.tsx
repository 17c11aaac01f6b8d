import { Alert, Descriptions, Modal, Tabs, Typography } from 'antd';
import { Link } from 'react-router-dom';
import type { Model } from '../../api/models';
import { CodeBlock, CopyButton } from '../../components/CodeBlock';
import { useI18n } from '../../i18n';
import { buildSnippets } from './accessSnippets';

/** How to call a deployment: base URLs, model name, and ready-to-run snippets. */
export function ApiAccessModal({ model, onClose }: { model: Model | null; onClose: () => void }) {
  const { t } = useI18n();
  if (!model) return null;
  const origin = window.location.origin;
  const base = `${origin}/v1`;
  const category = model.categories?.[0] ?? 'llm';
  const snippets = buildSnippets(base, model.name, category);

  const copyable = (text: string, testId: string) => (
    <Typography.Text code data-testid={testId}>
      {text} <CopyButton text={text} />
    </Typography.Text>
  );

  return (
    <Modal open title={t('access.title', { name: model.name })} onCancel={onClose} footer={null} width={820} data-testid="api-access-modal">
      <Descriptions column={1} bordered size="small" style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t('access.baseUrl')}>
          <div>{copyable(base, 'access-base-url')}</div>
          <div>{copyable(`${origin}/v1-openai`, 'access-base-url-openai')}</div>
        </Descriptions.Item>
        <Descriptions.Item label={t('access.modelName')}>{copyable(model.name, 'access-model-name')}</Descriptions.Item>
        <Descriptions.Item label={t('access.apiKey')}>
          <Link to="/api-keys" onClick={onClose}>
            {t('access.createKey')}
          </Link>
        </Descriptions.Item>
      </Descriptions>
      <Alert type="info" showIcon message={t('access.keyHint')} style={{ marginBottom: 12 }} />
      <Tabs
        items={[
          { key: 'curl', label: 'curl', children: <CodeBlock code={snippets.curl} testId="snippet-curl" /> },
          { key: 'python', label: 'Python', children: <CodeBlock code={snippets.python} testId="snippet-python" /> },
          {
            key: 'dify',
            label: t('access.dify'),
            children: <Typography.Paragraph>{t('access.difyText', { server: origin, model: model.name })}</Typography.Paragraph>,
          },
        ]}
      />
    </Modal>
  );
}
