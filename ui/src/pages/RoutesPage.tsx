import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Empty, Flex, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import {
  modelRoutesApi,
  type FailureKind,
  type ModelRoute,
  type RouteFallback,
  type RouteTarget,
} from '../api/modelRoutes';
import { modelsApi } from '../api/models';
import { providersApi } from '../api/providers';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { useNotify } from '../hooks/useNotify';
import { useSubmit } from '../hooks/useSubmit';
import { useWatchedList } from '../hooks/useWatchedList';
import { useI18n } from '../i18n';

const FAILURES: FailureKind[] = ['connection', '429', '5xx', 'timeout', 'context_length'];

/** One destination as the form edits it: a deployment, or a provider and its model id. */
interface DestinationRow {
  deployment?: string;
  provider?: string;
  provider_model?: string;
  weight?: number;
  on?: FailureKind[];
}

interface RouteForm {
  name: string;
  description?: string;
  targets: DestinationRow[];
  fallbacks: DestinationRow[];
}

const PROVIDER_PREFIX = 'provider:';

function toRow(d: RouteTarget | RouteFallback): DestinationRow {
  const row: DestinationRow = d.provider_model
    ? { deployment: PROVIDER_PREFIX + d.provider_model.provider, provider_model: d.provider_model.model }
    : { deployment: d.model ?? undefined };
  if ('weight' in d) row.weight = d.weight;
  if ('on' in d) row.on = d.on;
  return row;
}

function destination(row: DestinationRow): { model?: string; provider_model?: { provider: string; model: string } } {
  const chosen = row.deployment ?? '';
  if (chosen.startsWith(PROVIDER_PREFIX))
    return { provider_model: { provider: chosen.slice(PROVIDER_PREFIX.length), model: row.provider_model ?? '' } };
  return { model: chosen };
}

function describe(d: RouteTarget | RouteFallback): string {
  return d.provider_model ? `${d.provider_model.provider} / ${d.provider_model.model}` : (d.model ?? '');
}

function Destinations(props: { name: 'targets' | 'fallbacks'; options: { value: string; label: string }[] }) {
  const { t } = useI18n();
  const fallback = props.name === 'fallbacks';
  return (
    <Form.List name={props.name}>
      {(fields, { add, remove }) => (
        <Flex vertical gap={6}>
          {fields.map((field) => (
            <Space key={field.key} align="baseline" wrap data-testid={`${props.name}-row`}>
              <Form.Item name={[field.name, 'deployment']} rules={[{ required: true }]} noStyle>
                <Select style={{ width: 200 }} options={props.options} placeholder={t('routes.destination')} />
              </Form.Item>
              <Form.Item noStyle shouldUpdate>
                {({ getFieldValue }) =>
                  String(getFieldValue([props.name, field.name, 'deployment']) ?? '').startsWith(PROVIDER_PREFIX) ? (
                    <Form.Item name={[field.name, 'provider_model']} rules={[{ required: true }]} noStyle>
                      <Input style={{ width: 180 }} placeholder={t('routes.upstreamModel')} />
                    </Form.Item>
                  ) : null
                }
              </Form.Item>
              {fallback ? (
                <Form.Item name={[field.name, 'on']} noStyle>
                  <Select mode="multiple" style={{ minWidth: 220 }} options={FAILURES.map((f) => ({ value: f, label: f }))} />
                </Form.Item>
              ) : (
                <Form.Item name={[field.name, 'weight']} noStyle>
                  <InputNumber min={0} max={1000} addonBefore={t('routes.weight')} style={{ width: 140 }} />
                </Form.Item>
              )}
              <MinusCircleOutlined onClick={() => remove(field.name)} />
            </Space>
          ))}
          <Button icon={<PlusOutlined />} onClick={() => add(fallback ? { on: FAILURES } : { weight: 1 })}>
            {fallback ? t('routes.addFallback') : t('routes.addTarget')}
          </Button>
        </Flex>
      )}
    </Form.List>
  );
}

function RouteModal(props: { route: ModelRoute | null; open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [form] = Form.useForm<RouteForm>();
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const editing = props.route !== null;

  useEffect(() => {
    if (!props.open) return;
    void Promise.all([modelsApi.list(), providersApi.list()]).then(([models, providers]) =>
      setOptions([
        ...models.items.map((m) => ({ value: m.name, label: m.name })),
        ...providers.items.map((p) => ({ value: PROVIDER_PREFIX + p.name, label: `${t('routes.provider')}: ${p.name}` })),
      ]),
    );
  }, [props.open, t]);

  const save = useSubmit(async (v: RouteForm) => {
    const targets = (v.targets ?? []).map((r) => ({ ...destination(r), weight: r.weight ?? 1 }));
    const fallbacks = (v.fallbacks ?? []).map((r) => ({ ...destination(r), on: r.on ?? FAILURES }));
    if (props.route) await modelRoutesApi.update(props.route.id, { description: v.description ?? '', targets, fallbacks });
    else
      await modelRoutesApi.create({
        name: v.name,
        description: v.description ?? '',
        targets,
        fallbacks,
        cooldown_failures: 3,
        cooldown_seconds: 30,
      });
    notify.success(t('common.saved'));
    props.onSaved();
    props.onClose();
  });
  const { clearError } = save;
  useEffect(() => clearError(), [props.open, clearError]);

  return (
    <Modal
      open={props.open}
      width={760}
      title={editing ? t('routes.editTitle', { name: props.route?.name ?? '' }) : t('routes.new')}
      onCancel={props.onClose}
      onOk={async () => save.run(await form.validateFields())}
      confirmLoading={save.busy}
      okText={t('common.save')}
      destroyOnHidden
    >
      <Form<RouteForm>
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{
          name: props.route?.name,
          description: props.route?.description ?? '',
          targets: props.route ? props.route.targets.map(toRow) : [{ weight: 1 }],
          fallbacks: props.route ? props.route.fallbacks.map(toRow) : [],
        }}
      >
        <Form.Item name="name" label={t('routes.publicName')} extra={t('routes.publicNameHelp')} rules={[{ required: true }]}>
          <Input disabled={editing} data-testid="route-name" />
        </Form.Item>
        <Form.Item name="description" label={t('common.description')}>
          <Input />
        </Form.Item>
        <Form.Item label={t('routes.targets')} extra={t('routes.targetsHelp')}>
          <Destinations name="targets" options={options} />
        </Form.Item>
        <Form.Item label={t('routes.fallbacks')} extra={t('routes.fallbacksHelp')}>
          <Destinations name="fallbacks" options={options} />
        </Form.Item>
      </Form>
      <ErrorAlert error={save.error} />
    </Modal>
  );
}

export default function RoutesPage() {
  const { t } = useI18n();
  const notify = useNotify();
  const { items, loading, error, reload } = useWatchedList(modelRoutesApi);
  const [editing, setEditing] = useState<ModelRoute | null>(null);
  const [open, setOpen] = useState(false);

  const remove = async (r: ModelRoute) => {
    try {
      await modelRoutesApi.remove(r.id);
      notify.success(t('common.saved'));
      await reload();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <>
      <PageHeader
        title={t('menu.routes')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => { setEditing(null); setOpen(true); }} data-testid="new-route">
            {t('routes.new')}
          </Button>
        }
      />
      <ErrorAlert error={error} />
      <Table<ModelRoute>
        rowKey="id"
        loading={loading}
        dataSource={items}
        onRow={(r) => ({ 'data-testid': `route-row-${r.name}` }) as object}
        locale={{ emptyText: <Empty description={t('routes.empty')} /> }}
        columns={[
          { title: t('routes.publicName'), dataIndex: 'name' },
          {
            title: t('routes.targets'),
            render: (_, r) => r.targets.map((d, i) => <Tag key={i}>{`${describe(d)} ×${d.weight}`}</Tag>),
          },
          {
            title: t('routes.fallbacks'),
            render: (_, r) => r.fallbacks.map((d, i) => <Tag key={i} title={(d.on ?? []).join(', ')}>{describe(d)}</Tag>),
          },
          { title: t('common.createdAt'), dataIndex: 'created_at', render: formatTime },
          {
            title: t('common.actions'),
            render: (_, r) => (
              <Flex gap={6}>
                <Button size="small" onClick={() => { setEditing(r); setOpen(true); }}>
                  {t('common.edit')}
                </Button>
                <Popconfirm title={t('common.confirmDelete', { name: r.name })} onConfirm={() => remove(r)}>
                  <Button size="small" danger>
                    {t('common.delete')}
                  </Button>
                </Popconfirm>
              </Flex>
            ),
          },
        ]}
      />
      <RouteModal route={editing} open={open} onClose={() => setOpen(false)} onSaved={() => void reload()} />
    </>
  );
}
