import { Button, Empty, Flex, Popconfirm, Progress, Table } from 'antd';
import { instancesApi, type ModelInstance } from '../../api/instances';
import { formatBytes, formatTime } from '../../components/format';
import { StateTag } from '../../components/StateTag';
import { useNotify } from '../../hooks/useNotify';
import { useI18n } from '../../i18n';

function claimText(i: ModelInstance): string {
  const claim = i.computed_resource_claim;
  if (!claim) return '-';
  const vram = Object.values(claim.vram ?? {}).reduce((s, v) => s + v, 0);
  const parts = [`RAM ${formatBytes(claim.ram ?? 0)}`];
  if (vram) parts.push(`VRAM ${formatBytes(vram)}`);
  return parts.join(' · ');
}

/** The instances of one deployment, kept live by the page's instance watch. */
export function InstancesTable(props: { instances: ModelInstance[]; onLogs: (i: ModelInstance) => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  return (
    <Table<ModelInstance>
      size="small"
      rowKey="id"
      pagination={false}
      dataSource={props.instances}
      data-testid="instances-table"
      locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('instance.none')} /> }}
      columns={[
        { title: t('common.name'), dataIndex: 'name' },
        { title: t('common.worker'), render: (_, i) => (i.worker_name ? `${i.worker_name} (${i.worker_ip ?? ''}:${i.port ?? ''})` : '-') },
        { title: t('instance.gpus'), render: (_, i) => (i.gpu_indexes?.length ? i.gpu_indexes.join(', ') : 'CPU') },
        { title: t('instance.memory'), render: (_, i) => claimText(i) },
        {
          title: t('common.state'),
          render: (_, i) => (
            <Flex vertical gap={2} data-testid={`instance-state-${i.id}`}>
              <StateTag state={i.state} message={i.state_message} />
              {i.state === 'downloading' && (
                <Progress size="small" percent={Math.round(i.download_progress ?? 0)} style={{ width: 160 }} data-testid="download-progress" />
              )}
            </Flex>
          ),
        },
        { title: t('instance.restarts'), dataIndex: 'restart_count' },
        { title: t('common.createdAt'), dataIndex: 'created_at', render: formatTime },
        {
          title: t('common.actions'),
          render: (_, i) => (
            <Flex gap={6}>
              <Button size="small" onClick={() => props.onLogs(i)}>
                {t('deploy.logs')}
              </Button>
              <Popconfirm
                title={t('common.confirmDelete', { name: i.name })}
                onConfirm={() => instancesApi.remove(i.id).catch((e: unknown) => notify.error(e))}
              >
                <Button size="small" danger>
                  {t('common.delete')}
                </Button>
              </Popconfirm>
            </Flex>
          ),
        },
      ]}
    />
  );
}
