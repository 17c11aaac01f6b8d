import { PlusOutlined } from '@ant-design/icons';
import { Button, Empty, Flex, Form, Input, InputNumber, Modal, Popconfirm, Select, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import { providersApi, type Provider } from '../api/providers';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { fromPairs, KeyValueEditor, toPairs, type Pairs } from '../components/KeyValueEditor';
import { PageHeader } from '../components/PageHeader';
import { useNotify } from '../hooks/useNotify';
import { useSubmit } from '../hooks/useSubmit';
import { useWatchedList } from '../hooks/useWatchedList';
import { useI18n } from '../i18n';

interface ProviderForm {
  name: string;
  kind: 'openai' | 'anthropic';
  base_url: string;
  api_key?: string;
  timeout: number;
  headers: Pairs;
}

function ProviderModal(props: { provider: Provider | null; open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [form] = Form.useForm<ProviderForm>();
  const editing = props.provider !== null;

  const save = useSubmit(async (v: ProviderForm) => {
    const common = { kind: v.kind, base_url: v.base_url, timeout: v.timeout, headers: fromPairs(v.headers) };
    // The key is sent only when typed: an empty field keeps the stored one.
    const key = v.api_key ? { api_key: v.api_key } : {};
    if (props.provider) await providersApi.update(props.provider.id, { ...common, ...key });
    else await providersApi.create({ name: v.name, ...common, ...key });
    notify.success(t('common.saved'));
    props.onSaved();
    props.onClose();
  });
  const { clearError } = save;
  useEffect(() => clearError(), [props.open, clearError]);

  return (
    <Modal
      open={props.open}
      title={editing ? t('providers.editTitle', { name: props.provider?.name ?? '' }) : t('providers.new')}
      onCancel={props.onClose}
      onOk={async () => save.run(await form.validateFields())}
      confirmLoading={save.busy}
      okText={t('common.save')}
      destroyOnHidden
    >
      <Form<ProviderForm>
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{
          name: props.provider?.name,
          kind: props.provider?.kind ?? 'openai',
          base_url: props.provider?.base_url,
          timeout: props.provider?.timeout ?? 120,
          headers: toPairs(props.provider?.headers),
        }}
      >
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true }]}>
          <Input disabled={editing} data-testid="provider-name" />
        </Form.Item>
        <Form.Item name="kind" label={t('providers.kind')}>
          <Select
            options={[
              { value: 'openai', label: t('providers.kindOpenai') },
              { value: 'anthropic', label: 'Anthropic' },
            ]}
          />
        </Form.Item>
        <Form.Item name="base_url" label={t('providers.baseUrl')} extra={t('providers.baseUrlHelp')} rules={[{ required: true }]}>
          <Input placeholder="https://api.openai.com/v1" data-testid="provider-base-url" />
        </Form.Item>
        <Form.Item
          name="api_key"
          label={t('providers.apiKey')}
          extra={editing && props.provider?.api_key_set ? t('providers.apiKeyKeep') : t('providers.apiKeyHelp')}
        >
          <Input.Password autoComplete="off" data-testid="provider-api-key" />
        </Form.Item>
        <Form.Item name="timeout" label={t('providers.timeout')}>
          <InputNumber min={1} max={3600} addonAfter="s" />
        </Form.Item>
        <Form.Item name="headers" label={t('providers.headers')}>
          <KeyValueEditor />
        </Form.Item>
      </Form>
      <ErrorAlert error={save.error} />
    </Modal>
  );
}

export default function ProvidersPage() {
  const { t } = useI18n();
  const notify = useNotify();
  const { items, loading, error, reload } = useWatchedList(providersApi);
  const [editing, setEditing] = useState<Provider | null>(null);
  const [open, setOpen] = useState(false);

  const remove = async (p: Provider) => {
    try {
      await providersApi.remove(p.id);
      notify.success(t('common.saved'));
      await reload();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <>
      <PageHeader
        title={t('menu.providers')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => { setEditing(null); setOpen(true); }} data-testid="new-provider">
            {t('providers.new')}
          </Button>
        }
      />
      <ErrorAlert error={error} />
      <Table<Provider>
        rowKey="id"
        loading={loading}
        dataSource={items}
        onRow={(p) => ({ 'data-testid': `provider-row-${p.name}` }) as object}
        locale={{ emptyText: <Empty description={t('providers.empty')} /> }}
        columns={[
          { title: t('common.name'), dataIndex: 'name' },
          { title: t('providers.kind'), dataIndex: 'kind', render: (k: string) => <Tag>{k}</Tag> },
          { title: t('providers.baseUrl'), dataIndex: 'base_url' },
          {
            title: t('providers.apiKey'),
            render: (_, p) => (p.api_key_set ? `••••${p.api_key_last4}` : <Tag>{t('providers.noKey')}</Tag>),
          },
          { title: t('common.createdAt'), dataIndex: 'created_at', render: formatTime },
          {
            title: t('common.actions'),
            render: (_, p) => (
              <Flex gap={6}>
                <Button size="small" onClick={() => { setEditing(p); setOpen(true); }}>
                  {t('common.edit')}
                </Button>
                <Popconfirm title={t('common.confirmDelete', { name: p.name })} onConfirm={() => remove(p)}>
                  <Button size="small" danger>
                    {t('common.delete')}
                  </Button>
                </Popconfirm>
              </Flex>
            ),
          },
        ]}
      />
      <ProviderModal provider={editing} open={open} onClose={() => setOpen(false)} onSaved={() => void reload()} />
    </>
  );
}
