import { Button, Empty, Flex, Popconfirm, Progress, Table } from 'antd';
import { modelFilesApi, type ModelFile } from '../api/modelFiles';
import { modelSourceLabel } from '../api/models';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatBytes, formatTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { StateTag } from '../components/StateTag';
import { useNotify } from '../hooks/useNotify';
import { useWatchedList } from '../hooks/useWatchedList';
import { useI18n } from '../i18n';

export default function ModelFilesPage() {
  const { t } = useI18n();
  const notify = useNotify();
  const { items, loading, error, reload } = useWatchedList(modelFilesApi);

  const act = async (work: Promise<unknown>) => {
    try {
      await work;
      await reload();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <>
      <PageHeader title={t('menu.modelFiles')} />
      <ErrorAlert error={error} />
      <Table<ModelFile>
        rowKey="id"
        loading={loading}
        dataSource={items}
        locale={{ emptyText: <Empty description={t('files.empty')} /> }}
        columns={[
          { title: t('files.source'), render: (_, f) => modelSourceLabel({ ...f, name: '', replicas: 0 }) },
          { title: t('common.worker'), dataIndex: 'worker_name' },
          {
            title: t('common.state'),
            render: (_, f) => (
              <Flex vertical gap={2}>
                <StateTag state={f.state} message={f.state_message} />
                {f.state === 'downloading' && <Progress size="small" percent={Math.round(f.download_progress ?? 0)} style={{ width: 160 }} />}
              </Flex>
            ),
          },
          { title: t('files.size'), dataIndex: 'size', render: formatBytes },
          { title: t('files.path'), dataIndex: 'local_dir', render: (p: string | null) => <code>{p ?? '-'}</code> },
          { title: t('common.createdAt'), dataIndex: 'created_at', render: formatTime },
          {
            title: t('common.actions'),
            render: (_, f) => (
              <Flex gap={6}>
                {f.state === 'error' && (
                  <Button size="small" onClick={() => act(modelFilesApi.retry(f.id))}>
                    {t('files.retry')}
                  </Button>
                )}
                <Popconfirm title={t('common.confirmDelete', { name: String(f.id) })} onConfirm={() => act(modelFilesApi.remove(f.id))}>
                  <Button size="small">{t('common.delete')}</Button>
                </Popconfirm>
                <Popconfirm title={t('common.confirmDelete', { name: String(f.id) })} onConfirm={() => act(modelFilesApi.removeWithFiles(f.id))}>
                  <Button size="small" danger>
                    {t('files.deleteWithFiles')}
                  </Button>
                </Popconfirm>
              </Flex>
            ),
          },
        ]}
      />
    </>
  );
}
