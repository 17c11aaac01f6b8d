import { Empty, Progress, Table } from 'antd';
import { gpusApi, type GpuDevice } from '../api/gpus';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatBytes, formatPercent } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { useWatchedList } from '../hooks/useWatchedList';
import { useI18n } from '../i18n';

export default function GpusPage() {
  const { t } = useI18n();
  const { items, loading, error } = useWatchedList(gpusApi);
  return (
    <>
      <PageHeader title={t('menu.gpus')} />
      <ErrorAlert error={error} />
      <Table<GpuDevice>
        rowKey="id"
        loading={loading}
        dataSource={items}
        locale={{ emptyText: <Empty description={t('gpus.empty')} /> }}
        columns={[
          { title: t('common.name'), dataIndex: 'name' },
          { title: t('common.worker'), dataIndex: 'worker_name' },
          { title: t('gpus.index'), dataIndex: 'index' },
          { title: t('gpus.vendor'), dataIndex: 'vendor' },
          { title: t('gpus.temperature'), dataIndex: 'temperature', render: (v: number | null) => (v == null ? '-' : `${v} °C`) },
          {
            title: t('gpus.coreUtil'),
            render: (_, g) => <Progress size="small" percent={formatPercent(g.core?.utilization_rate)} style={{ width: 120 }} />,
          },
          {
            title: t('gpus.memory'),
            render: (_, g) => {
              const used = g.memory.used ?? g.memory.allocated ?? 0;
              return (
                <>
                  <Progress size="small" percent={g.memory.total ? formatPercent((used / g.memory.total) * 100) : 0} style={{ width: 120 }} />
                  <span style={{ fontSize: 12 }}>{`${formatBytes(used)} / ${formatBytes(g.memory.total)}`}</span>
                </>
              );
            },
          },
        ]}
      />
    </>
  );
}
