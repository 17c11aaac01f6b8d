import { Modal, Spin, Typography } from 'antd';
import { workersApi } from '../../api/workers';
import { CodeBlock } from '../../components/CodeBlock';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useAsync } from '../../hooks/useAsync';
import { useI18n } from '../../i18n';

function RegistrationCommand() {
  const { t } = useI18n();
  const { data, error, loading } = useAsync(() => workersApi.registration(), []);
  if (loading) return <Spin />;
  return (
    <>
      <ErrorAlert error={error} />
      {data && (
        <>
          <Typography.Paragraph>{t('workers.addHelp')}</Typography.Paragraph>
          <CodeBlock code={data.command} testId="worker-command" />
        </>
      )}
    </>
  );
}

/** Shows the exact command (server URL and token included) that joins a machine as a worker. */
export function AddWorkerModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal open={open} title={t('workers.add')} onCancel={onClose} footer={null} width={720} destroyOnHidden>
      {open && <RegistrationCommand />}
    </Modal>
  );
}
