import { Form, Input } from 'antd';
import type { ModelSource } from '../../api/models';
import { useI18n } from '../../i18n';

/** The inputs that say where the model's files come from, for one source. */
export function SourceFields({ source }: { source: ModelSource }) {
  const { t } = useI18n();
  if (source === 'huggingface')
    return (
      <>
        <Form.Item name="huggingface_repo_id" label={t('deploy.repoId')} rules={[{ required: true }]}>
          <Input placeholder="Qwen/Qwen2.5-0.5B-Instruct-GGUF" />
        </Form.Item>
        <Form.Item name="huggingface_filename" label={t('deploy.fileGlob')}>
          <Input placeholder="*q4_k_m.gguf" />
        </Form.Item>
      </>
    );
  if (source === 'model_scope')
    return (
      <>
        <Form.Item name="model_scope_model_id" label={t('deploy.modelScopeId')} rules={[{ required: true }]}>
          <Input placeholder="qwen/Qwen2.5-0.5B-Instruct-GGUF" />
        </Form.Item>
        <Form.Item name="model_scope_file_path" label={t('deploy.modelScopePath')}>
          <Input placeholder="*q4_k_m.gguf" />
        </Form.Item>
      </>
    );
  return (
    <Form.Item name="local_path" label={t('deploy.localPath')} rules={[{ required: true }]}>
      <Input placeholder="/models/model.gguf" data-testid="local-path-input" />
    </Form.Item>
  );
}
