import { PlusOutlined } from '@ant-design/icons';
import { Button, Empty, Flex, Popconfirm, Progress, Table, Tag, Tooltip } from 'antd';
import { useState } from 'react';
import { workersApi, type Worker } from '../api/workers';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatBytes, formatPercent, formatTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { StateTag } from '../components/StateTag';
import { useNotify } from '../hooks/useNotify';
import { useWatchedList } from '../hooks/useWatchedList';
import { useI18n } from '../i18n';
import { AddWorkerModal } from './workers/AddWorkerModal';
import { LabelsModal } from './workers/LabelsModal';

function Meter({ percent, detail }: { percent: number; detail: string }) {
  return (
    <Tooltip title={detail}>
      <Progress percent={percent} size="small" style={{ width: 110, margin: 0 }} />
    </Tooltip>
  );
}

function gpuSummary(w: Worker) {
  const gpus = w.status?.gpu_devices ?? [];
  if (!gpus.length) return { gpu: null, vram: null, detail: '' };
  const core = gpus.reduce((s, g) => s + formatPercent(g.core?.utilization_rate), 0) / gpus.length;
  const total = gpus.reduce((s, g) => s + (g.memory.total ?? 0), 0);
  const used = gpus.reduce((s, g) => s + (g.memory.used ?? 0), 0);
  // "2 GPU (amd)": which vendor's engines the scheduler can place there.
  const vendors = [...new Set(gpus.map((g) => g.vendor))].join(', ');
  return { gpu: core, vram: { total, used }, detail: `${gpus.length} GPU (${vendors})` };
}

export default function WorkersPage() {
  const { t } = useI18n();
  const notify = useNotify();
  const { items, loading, error, reload } = useWatchedList(workersApi);
  const [adding, setAdding] = useState(false);
  const [labelling, setLabelling] = useState<Worker | null>(null);

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
      <PageHeader
        title={t('menu.workers')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="add-worker">
            {t('workers.add')}
          </Button>
        }
      />
      <ErrorAlert error={error} />
      <Table<Worker>
        rowKey="id"
        loading={loading}
        dataSource={items}
        scroll={{ x: true }}
        locale={{ emptyText: <Empty description={t('workers.empty')} /> }}
        columns={[
          { title: t('common.name'), dataIndex: 'name' },
          { title: t('common.state'), render: (_, w) => <StateTag state={w.state} message={w.state_message} /> },
          { title: t('workers.ip'), render: (_, w) => `${w.ip}:${w.port}` },
          {
            title: t('workers.labels'),
            dataIndex: 'labels',
            render: (labels: Record<string, string>) =>
              Object.entries(labels ?? {}).map(([k, v]) => <Tag key={k}>{`${k}=${v}`}</Tag>),
          },
          {
            title: t('workers.cpu'),
            render: (_, w) => (
              <Meter percent={formatPercent(w.status?.cpu?.utilization_rate)} detail={`${w.status?.cpu?.total ?? '-'} cores`} />
            ),
          },
          {
            title: t('workers.ram'),
            render: (_, w) => (
              <Meter
                percent={formatPercent(w.status?.memory?.utilization_rate)}
                detail={`${formatBytes(w.status?.memory?.used)} / ${formatBytes(w.status?.memory?.total)}`}
              />
            ),
          },
          {
            title: t('workers.gpu'),
            render: (_, w) => {
              const s = gpuSummary(w);
              return s.gpu === null ? '-' : <Meter percent={formatPercent(s.gpu)} detail={s.detail} />;
            },
          },
          {
            title: t('workers.vram'),
            render: (_, w) => {
              const s = gpuSummary(w).vram;
              return s ? <Meter percent={s.total ? formatPercent((s.used / s.total) * 100) : 0} detail={`${formatBytes(s.used)} / ${formatBytes(s.total)}`} /> : '-';
            },
          },
          { title: t('workers.heartbeat'), dataIndex: 'heartbeat_time', render: formatTime },
          {
            title: t('common.actions'),
            render: (_, w) => (
              <Flex gap={6} wrap>
                <Button size="small" onClick={() => setLabelling(w)}>
                  {t('workers.editLabels')}
                </Button>
                <Button size="small" onClick={() => act(workersApi.update(w.id, { maintenance: !w.maintenance }))}>
                  {w.maintenance ? t('workers.exitMaintenance') : t('workers.enterMaintenance')}
                </Button>
                <Popconfirm title={t('common.confirmDelete', { name: w.name })} onConfirm={() => act(workersApi.remove(w.id))}>
                  <Button size="small" danger>
                    {t('common.delete')}
                  </Button>
                </Popconfirm>
              </Flex>
            ),
          },
        ]}
      />
      <AddWorkerModal open={adding} onClose={() => setAdding(false)} />
      <LabelsModal worker={labelling} onClose={() => setLabelling(null)} onSaved={() => void reload()} />
    </>
  );
}
