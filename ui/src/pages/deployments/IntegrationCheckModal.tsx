import { Alert, Modal, Spin, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import { modelsApi, type CheckReport, type CheckResult, type Model } from '../../api/models';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';

/** Runs the integration check of one deployment and shows pass/fail per replayed client call. */
export function IntegrationCheckModal({ model, onClose }: { model: Model | null; onClose: () => void }) {
  const { t } = useI18n();
  const [report, setReport] = useState<CheckReport | null>(null);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    setReport(null);
    setError(null);
    if (!model) return;
    let live = true;
    modelsApi.integrationCheck(model.id).then(
      (r) => live && setReport(r),
      (e: unknown) => live && setError(e as Error),
    );
    return () => {
      live = false;
    };
  }, [model]);

  if (!model) return null;
  return (
    <Modal open title={t('check.title', { name: model.name })} onCancel={onClose} footer={null} width={960} data-testid="integration-check-modal">
      <ErrorAlert error={error} />
      {!report && !error && (
        <div style={{ textAlign: 'center', padding: 32 }}>
          <Spin tip={t('check.running')} />
        </div>
      )}
      {report && (
        <>
          <Alert type={report.passed ? 'success' : 'error'} showIcon message={report.passed ? t('check.allPassed') : t('check.someFailed')} style={{ marginBottom: 12 }} />
          <Table<CheckResult>
            rowKey={(r) => `${r.client}-${r.call}`}
            size="small"
            pagination={false}
            dataSource={report.results}
            data-testid="integration-check-results"
            columns={[
              { title: t('check.client'), dataIndex: 'client' },
              { title: t('check.call'), dataIndex: 'call' },
              { title: t('check.path'), render: (_, r) => `${r.method} ${r.path}` },
              { title: t('check.result'), render: (_, r) => (r.passed ? <Tag color="green">{t('check.pass')}</Tag> : <Tag color="red">{t('check.fail')} {r.status_code ?? ''}</Tag>) },
              { title: t('check.hint'), dataIndex: 'hint' },
            ]}
          />
        </>
      )}
    </Modal>
  );
}
