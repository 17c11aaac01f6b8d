import { Form, Modal, Select, Tabs } from 'antd';
import { useEffect, useState } from 'react';
import { modelFilesApi, type ModelFileCreate } from '../../api/modelFiles';
import type { ModelSource } from '../../api/models';
import { workersApi } from '../../api/workers';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useAsync } from '../../hooks/useAsync';
import { useNotify } from '../../hooks/useNotify';
import { useSubmit } from '../../hooks/useSubmit';
import { useI18n } from '../../i18n';
import { SourceFields } from '../deployments/SourceFields';

type FileForm = Omit<ModelFileCreate, 'source'>;

/** Pre-downloads a model's files to one worker so a later deployment starts without waiting. */
export function AddModelFileModal(props: { open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [form] = Form.useForm<FileForm>();
  const [source, setSource] = useState<ModelSource>('huggingface');
  const workers = useAsync(() => (props.open ? workersApi.list({ perPage: 100 }) : Promise.resolve(null)), [props.open]);
  const workerItems = workers.data?.items ?? [];

  const save = useSubmit(async (v: FileForm) => {
    await modelFilesApi.create({ ...v, source });
    notify.success(t('files.started'));
    props.onSaved();
    props.onClose();
  });
  const { clearError } = save;

  useEffect(() => {
    if (!props.open) return;
    clearError();
    setSource('huggingface');
  }, [props.open, clearError]);

  useEffect(() => {
    // One worker is the common case: choose it so the dialog needs only the source.
    const items = workers.data?.items ?? [];
    const only = items.length === 1 ? items[0] : undefined;
    if (only && form.getFieldValue('worker_id') === undefined) form.setFieldValue('worker_id', only.id);
  }, [workers.data, form]);

  const submit = async () => {
    await save.run(await form.validateFields());
  };

  return (
    <Modal
      open={props.open}
      title={t('files.add')}
      onCancel={props.onClose}
      onOk={submit}
      okText={t('files.download')}
      okButtonProps={{ id: 'model-file-save' }}
      confirmLoading={save.busy}
      width={640}
      destroyOnHidden
    >
      <Tabs
        activeKey={source}
        onChange={(k) => setSource(k as ModelSource)}
        items={[
          { key: 'huggingface', label: t('deploy.fromHuggingFace') },
          { key: 'model_scope', label: t('deploy.fromModelScope') },
          { key: 'local_path', label: t('deploy.fromLocalPath') },
        ]}
      />
      <Form<FileForm> form={form} layout="vertical" preserve={false}>
        <SourceFields source={source} />
        <Form.Item name="worker_id" label={t('common.worker')} rules={[{ required: true }]}>
          <Select
            data-testid="model-file-worker"
            loading={workers.loading}
            placeholder={t('files.pickWorker')}
            options={workerItems.map((w) => ({ value: w.id, label: `${w.name} (${w.ip})` }))}
          />
        </Form.Item>
      </Form>
      <ErrorAlert error={save.error ?? workers.error} />
    </Modal>
  );
}
