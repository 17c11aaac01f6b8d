import { CloudDownloadOutlined } from '@ant-design/icons';
import { Button, Empty, Flex, Popconfirm, Progress, Table, Typography } from 'antd';
import { useState } from 'react';
import { modelFilesApi, type ModelFile } from '../api/modelFiles';
import { modelSourceLabel } from '../api/models';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatBytes, formatTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { StateTag } from '../components/StateTag';
import { useNotify } from '../hooks/useNotify';
import { useWatchedList } from '../hooks/useWatchedList';
import { useI18n } from '../i18n';
import { AddModelFileModal } from './modelFiles/AddModelFileModal';

export default function ModelFilesPage() {
  const { t } = useI18n();
  const notify = useNotify();
  const { items, loading, error, reload } = useWatchedList(modelFilesApi);
  const [adding, setAdding] = useState(false);

  const act = async (work: Promise<unknown>, done: string) => {
    try {
      await work;
      notify.success(done);
      await reload();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <>
      <PageHeader
        title={t('menu.modelFiles')}
        extra={
          <Button type="primary" icon={<CloudDownloadOutlined />} onClick={() => setAdding(true)} data-testid="add-model-file">
            {t('files.add')}
          </Button>
        }
      />
      <ErrorAlert error={error} />
      <Table<ModelFile>
        rowKey="id"
        loading={loading}
        dataSource={items}
        tableLayout="fixed"
        onRow={(f) => ({ 'data-testid': `model-file-row-${f.id}` }) as object}
        locale={{ emptyText: <Empty description={t('files.empty')} /> }}
        columns={[
          {
            title: t('files.source'),
            render: (_, f) => (
              <Typography.Text ellipsis={{ tooltip: modelSourceLabel(f) }} data-testid="model-file-source">
                {modelSourceLabel(f)}
              </Typography.Text>
            ),
          },
          { title: t('common.worker'), dataIndex: 'worker_name', width: 100, ellipsis: true },
          {
            title: t('common.state'),
            width: 180,
            render: (_, f) => (
              <Flex vertical gap={2}>
                <StateTag state={f.state} message={f.state_message} />
                {f.state === 'downloading' && <Progress size="small" percent={Math.round(f.download_progress ?? 0)} style={{ width: 160 }} />}
              </Flex>
            ),
          },
          { title: t('files.size'), dataIndex: 'size', width: 100, render: (s: number | null) => <span data-testid="model-file-size">{formatBytes(s)}</span> },
          {
            title: t('files.path'),
            dataIndex: 'local_dir',
            width: '22%',
            render: (p: string | null) => (p ? <Typography.Text code ellipsis={{ tooltip: p }}>{p}</Typography.Text> : '-'),
          },
          { title: t('common.createdAt'), dataIndex: 'created_at', width: 190, render: formatTime },
          {
            title: t('common.actions'),
            width: 150,
            render: (_, f) => (
              <Flex gap={6} wrap>
                {f.state === 'error' && (
                  <Button size="small" onClick={() => act(modelFilesApi.retry(f.id), t('files.started'))}>
                    {t('files.retry')}
                  </Button>
                )}
                <Popconfirm title={t('files.confirmForget', { name: modelSourceLabel(f) })} onConfirm={() => act(modelFilesApi.remove(f.id), t('common.deleted'))}>
                  <Button size="small">{t('common.delete')}</Button>
                </Popconfirm>
                {f.source !== 'local_path' && (
                  <Popconfirm title={t('files.confirmRemove', { name: modelSourceLabel(f) })} onConfirm={() => act(modelFilesApi.removeWithFiles(f.id), t('common.deleted'))}>
                    <Button size="small" danger>
                      {t('files.deleteWithFiles')}
                    </Button>
                  </Popconfirm>
                )}
              </Flex>
            ),
          },
        ]}
      />
      <AddModelFileModal open={adding} onClose={() => setAdding(false)} onSaved={() => void reload()} />
    </>
  );
}
