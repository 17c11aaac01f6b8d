import { Form, Modal } from 'antd';
import { workersApi, type Worker } from '../../api/workers';
import { fromPairs, KeyValueEditor, toPairs, type Pairs } from '../../components/KeyValueEditor';
import { useNotify } from '../../hooks/useNotify';
import { useSubmit } from '../../hooks/useSubmit';
import { useI18n } from '../../i18n';

export function LabelsModal(props: { worker: Worker | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [form] = Form.useForm<{ labels: Pairs }>();
  const save = useSubmit(
    async (worker: Worker) => {
      await workersApi.update(worker.id, { labels: fromPairs(form.getFieldValue('labels') as Pairs) });
      notify.success(t('common.saved'));
      props.onSaved();
      props.onClose();
    },
    { onError: notify.error },
  );

  const submit = async () => {
    if (props.worker) await save.run(props.worker);
  };

  return (
    <Modal open={props.worker !== null} title={t('workers.editLabels')} onCancel={props.onClose} onOk={submit} confirmLoading={save.busy} destroyOnHidden>
      <Form form={form} preserve={false} initialValues={{ labels: toPairs(props.worker?.labels) }}>
        <Form.Item name="labels">
          <KeyValueEditor />
        </Form.Item>
      </Form>
    </Modal>
  );
}
