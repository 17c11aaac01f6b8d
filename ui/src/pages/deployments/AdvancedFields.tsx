import { AutoComplete, Checkbox, Divider, Flex, Form, Input, InputNumber, Select, Switch } from 'antd';
import { gpusApi } from '../../api/gpus';
import { groupsApi } from '../../api/groups';
import { inferenceBackendsApi } from '../../api/inferenceBackends';
import { KeyValueEditor } from '../../components/KeyValueEditor';
import { useAsync } from '../../hooks/useAsync';
import { useI18n } from '../../i18n';

/** Placement, engine parameters, environment, and how many requests the gateway admits. */
export function AdvancedFields() {
  const { t } = useI18n();
  const gpus = useAsync(() => gpusApi.list().then((r) => r.items).catch(() => []), []);
  const groups = useAsync(() => groupsApi.list().then((r) => r.items).catch(() => []), []);
  const backend = Form.useWatch('backend') as string | undefined;
  const backends = useAsync(() => inferenceBackendsApi.list().catch(() => []), []);
  // The versions of the chosen engine that workers have or an administrator added; any other
  // version may still be typed.
  const versions = (backends.data ?? []).find((b) => b.name === backend)?.versions ?? [];
  return (
    <>
      <Flex gap={12}>
        <Form.Item name="placement_strategy" label={t('deploy.placement')} style={{ flex: 1 }}>
          <Select options={[{ value: 'spread', label: 'spread' }, { value: 'binpack', label: 'binpack' }]} />
        </Form.Item>
        <Form.Item name="backend_version" label={t('deploy.backendVersion')} style={{ flex: 1 }}>
          <AutoComplete
            data-testid="deploy-backend-version"
            allowClear
            placeholder={t('deploy.backendVersionLatest')}
            options={versions.map((v) => ({
              value: v.version,
              label: `${v.version} (${
                v.installed_on?.length
                  ? t('deploy.versionInstalledOn', { workers: v.installed_on.map((w) => w.worker_name).join(', ') })
                  : t('deploy.versionInstalledOnFirstUse')
              })`,
            }))}
          />
        </Form.Item>
      </Flex>
      <Flex gap={12}>
        <Form.Item name="gpu_ids" label={t('deploy.gpus')} style={{ flex: 2 }}>
          <Select
            mode="multiple"
            placeholder={t('deploy.gpusAuto')}
            options={(gpus.data ?? []).map((g) => ({ value: g.id, label: `${g.worker_name} / GPU ${g.index} (${g.name})` }))}
          />
        </Form.Item>
        <Form.Item name="gpus_per_replica" label={t('deploy.gpusPerReplica')} style={{ flex: 1 }}>
          <InputNumber min={1} />
        </Form.Item>
      </Flex>
      <Form.Item name="worker_selector" label={t('deploy.workerSelector')}>
        <KeyValueEditor />
      </Form.Item>
      <Flex gap={16} wrap>
        <Form.Item name="cpu_offloading" valuePropName="checked">
          <Checkbox>{t('deploy.cpuOffloading')}</Checkbox>
        </Form.Item>
        <Form.Item name="distributed_inference_across_workers" valuePropName="checked">
          <Checkbox>{t('deploy.distributed')}</Checkbox>
        </Form.Item>
        <Form.Item name="restart_on_error" valuePropName="checked">
          <Checkbox>{t('deploy.restartOnError')}</Checkbox>
        </Form.Item>
      </Flex>
      <Form.Item name="backend_parameters_text" label={t('deploy.backendParameters')} extra={t('deploy.backendParametersHelp')}>
        <Input.TextArea rows={3} placeholder="--ctx-size=4096" />
      </Form.Item>
      {backend === 'custom' && (
        <Flex gap={12}>
          <Form.Item name="backend_command" label={t('deploy.backendCommand')} style={{ flex: 3 }}>
            <Input placeholder="my-server --model {{model_path}} --port {{port}}" />
          </Form.Item>
          <Form.Item name="health_path" label={t('deploy.healthPath')} style={{ flex: 1 }}>
            <Input placeholder="/health" />
          </Form.Item>
        </Flex>
      )}
      <Form.Item name="env" label={t('deploy.env')}>
        <KeyValueEditor />
      </Form.Item>
      <Form.Item name="access_groups" label={t('deploy.accessGroups')} extra={t('deploy.accessGroupsHelp')}>
        <Select
          mode="multiple"
          data-testid="deploy-access-groups"
          options={(groups.data ?? []).map((g) => ({ value: g.id, label: g.name }))}
        />
      </Form.Item>
      <Divider orientation="left" plain>
        {t('deploy.serving')}
      </Divider>
      <Flex gap={12}>
        <Form.Item name="max_concurrent_requests" label={t('deploy.maxConcurrent')} extra={t('deploy.maxConcurrentHelp')} style={{ flex: 1 }}>
          <InputNumber min={1} precision={0} style={{ width: '100%' }} data-testid="deploy-max-concurrent" />
        </Form.Item>
        <Form.Item name="max_queue_length" label={t('deploy.maxQueueLength')} extra={t('deploy.maxQueueLengthHelp')} style={{ flex: 1 }}>
          <InputNumber min={0} precision={0} style={{ width: '100%' }} data-testid="deploy-max-queue-length" />
        </Form.Item>
        <Form.Item name="max_queue_wait" label={t('deploy.maxQueueWait')} extra={t('deploy.maxQueueWaitHelp')} style={{ flex: 1 }}>
          <InputNumber min={0} max={3600} style={{ width: '100%' }} data-testid="deploy-max-queue-wait" />
        </Form.Item>
      </Flex>
      <Form.Item name="request_log" label={t('menu.requestLog')} extra={t('deploy.requestLogHelp')} valuePropName="checked">
        <Switch data-testid="deploy-request-log" />
      </Form.Item>
      <Divider orientation="left" plain>
        {t('deploy.elastic')}
      </Divider>
      <Flex gap={12}>
        <Form.Item name="min_replicas" label={t('deploy.minReplicas')} extra={t('deploy.minReplicasHelp')} style={{ flex: 1 }}>
          <InputNumber min={0} max={1024} precision={0} style={{ width: '100%' }} data-testid="deploy-min-replicas" />
        </Form.Item>
        <Form.Item name="max_replicas" label={t('deploy.maxReplicas')} extra={t('deploy.maxReplicasHelp')} style={{ flex: 1 }}>
          <InputNumber min={1} max={1024} precision={0} style={{ width: '100%' }} data-testid="deploy-max-replicas" />
        </Form.Item>
        <Form.Item
          name="target_outstanding_per_replica"
          label={t('deploy.targetOutstanding')}
          extra={t('deploy.targetOutstandingHelp')}
          style={{ flex: 1 }}
        >
          <InputNumber min={0.1} style={{ width: '100%' }} data-testid="deploy-target-outstanding" />
        </Form.Item>
      </Flex>
      <Flex gap={12}>
        <Form.Item name="idle_timeout" label={t('deploy.idleTimeout')} extra={t('deploy.idleTimeoutHelp')} style={{ flex: 1 }}>
          <InputNumber min={1} style={{ width: '100%' }} data-testid="deploy-idle-timeout" />
        </Form.Item>
        <Form.Item name="wake_timeout" label={t('deploy.wakeTimeout')} extra={t('deploy.wakeTimeoutHelp')} style={{ flex: 1 }}>
          <InputNumber min={1} style={{ width: '100%' }} data-testid="deploy-wake-timeout" />
        </Form.Item>
        <Form.Item name="drain_timeout" label={t('deploy.drainTimeout')} extra={t('deploy.drainTimeoutHelp')} style={{ flex: 1 }}>
          <InputNumber min={0} max={3600} style={{ width: '100%' }} data-testid="deploy-drain-timeout" />
        </Form.Item>
      </Flex>
      <Form.Item name="load_balancing" label={t('deploy.loadBalancing')}>
        <Select
          allowClear
          placeholder={t('deploy.loadBalancingDefault')}
          data-testid="deploy-load-balancing"
          options={[
            { value: 'least_outstanding', label: 'least_outstanding' },
            { value: 'prefix_affinity', label: 'prefix_affinity' },
          ]}
        />
      </Form.Item>
      <Form.Item name="scaling_windows_text" label={t('deploy.scalingWindows')} extra={t('deploy.scalingWindowsHelp')}>
        <Input.TextArea rows={2} placeholder="0 9 * * 1-5 36000 4" data-testid="deploy-scaling-windows" />
      </Form.Item>
    </>
  );
}
