import { DownOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Dropdown, Empty, Flex, Table, Tag } from 'antd';
import { useMemo, useState } from 'react';
import { instancesApi, type ModelInstance } from '../../api/instances';
import { modelSourceLabel, modelsApi, type Model } from '../../api/models';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeader } from '../../components/PageHeader';
import { StateTag } from '../../components/StateTag';
import { useNotify } from '../../hooks/useNotify';
import { useWatchedList } from '../../hooks/useWatchedList';
import { useI18n } from '../../i18n';
import { ApiAccessModal } from './ApiAccessModal';
import { DeployModal } from './DeployModal';
import { InstancesTable } from './InstancesTable';
import { IntegrationCheckModal } from './IntegrationCheckModal';
import { LogsModal } from './LogsModal';
import { ScaleModal } from './ScaleModal';

type Dialog =
  | { kind: 'deploy'; model: Model | null }
  | { kind: 'scale'; model: Model }
  | { kind: 'access'; model: Model }
  | { kind: 'check'; model: Model }
  | { kind: 'logs'; instance: ModelInstance }
  | null;

export default function DeploymentsPage() {
  const { t } = useI18n();
  const notify = useNotify();
  const { modal } = App.useApp();
  const models = useWatchedList(modelsApi);
  const instances = useWatchedList(instancesApi);
  const [dialog, setDialog] = useState<Dialog>(null);

  const byModel = useMemo(() => {
    const map = new Map<number, ModelInstance[]>();
    instances.items.forEach((i) => map.set(i.model_id, [...(map.get(i.model_id) ?? []), i]));
    return map;
  }, [instances.items]);

  const act = async (work: Promise<unknown>, done?: string) => {
    try {
      await work;
      if (done) notify.success(done);
      await models.reload();
    } catch (e) {
      notify.error(e);
    }
  };

  const confirmDelete = (m: Model) =>
    modal.confirm({
      title: t('common.confirmDelete', { name: m.name }),
      okButtonProps: { danger: true },
      okText: t('common.delete'),
      onOk: () => act(modelsApi.remove(m.id), t('common.deleted')),
    });

  const actions = (m: Model) => {
    const stopped = m.replicas === 0;
    const items = [
      { key: 'edit', label: t('common.edit') },
      { key: 'scale', label: t('deploy.scale') },
      { key: 'toggle', label: stopped ? t('deploy.start') : t('deploy.stop') },
      { key: 'restart', label: t('deploy.restart') },
      { key: 'check', label: t('check.action') },
      { key: 'delete', label: t('common.delete'), danger: true },
    ];
    const onClick = ({ key }: { key: string }) => {
      if (key === 'edit') setDialog({ kind: 'deploy', model: m });
      if (key === 'scale') setDialog({ kind: 'scale', model: m });
      if (key === 'toggle') void act(modelsApi.update(m.id, { replicas: stopped ? 1 : 0 }));
      if (key === 'restart') void act(modelsApi.restart(m.id), t('deploy.restarting'));
      if (key === 'check') setDialog({ kind: 'check', model: m });
      if (key === 'delete') confirmDelete(m);
    };
    return (
      <Flex gap={6}>
        <Button size="small" onClick={() => setDialog({ kind: 'access', model: m })} data-testid={`api-access-${m.name}`}>
          {t('deploy.apiAccess')}
        </Button>
        <Dropdown menu={{ items, onClick }} trigger={['click']}>
          <Button size="small" data-testid={`model-actions-${m.name}`}>
            {t('common.actions')} <DownOutlined />
          </Button>
        </Dropdown>
      </Flex>
    );
  };

  return (
    <>
      <PageHeader
        title={t('deploy.title')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({ kind: 'deploy', model: null })} data-testid="deploy-model">
            {t('deploy.new')}
          </Button>
        }
      />
      <ErrorAlert error={models.error ?? instances.error} />
      <Table<Model>
        rowKey="id"
        loading={models.loading}
        dataSource={models.items}
        locale={{ emptyText: <Empty description={t('deploy.empty')} /> }}
        expandable={{
          expandedRowRender: (m) => <InstancesTable instances={byModel.get(m.id) ?? []} onLogs={(i) => setDialog({ kind: 'logs', instance: i })} />,
        }}
        onRow={(m) => ({ 'data-testid': `model-row-${m.name}` }) as object}
        columns={[
          { title: t('common.name'), dataIndex: 'name', render: (n: string) => <span style={{ whiteSpace: 'nowrap' }}>{n}</span> },
          { title: t('common.state'), render: (_, m) => <StateTag state={m.state} message={m.state_message} /> },
          { title: t('deploy.ready'), render: (_, m) => `${m.ready_replicas} / ${m.replicas}`, width: 110 },
          { title: t('deploy.engine'), render: (_, m) => <Tag>{m.backend ?? t('deploy.auto')}</Tag> },
          { title: t('deploy.source'), render: (_, m) => <span style={{ wordBreak: 'break-all' }}>{modelSourceLabel(m)}</span>, width: '40%' },
          { title: t('common.actions'), render: (_, m) => actions(m) },
        ]}
      />
      <DeployModal
        open={dialog?.kind === 'deploy'}
        model={dialog?.kind === 'deploy' ? dialog.model : null}
        onClose={() => setDialog(null)}
        onSaved={() => void models.reload()}
      />
      <ScaleModal model={dialog?.kind === 'scale' ? dialog.model : null} onClose={() => setDialog(null)} />
      <ApiAccessModal model={dialog?.kind === 'access' ? dialog.model : null} onClose={() => setDialog(null)} />
      <IntegrationCheckModal model={dialog?.kind === 'check' ? dialog.model : null} onClose={() => setDialog(null)} />
      <LogsModal instance={dialog?.kind === 'logs' ? dialog.instance : null} onClose={() => setDialog(null)} />
    </>
  );
}
