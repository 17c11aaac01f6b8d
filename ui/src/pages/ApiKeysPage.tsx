import { PlusOutlined } from '@ant-design/icons';
import { Button, Empty, Popconfirm, Switch, Table, Tag } from 'antd';
import { useState } from 'react';
import { apiKeysApi, type ApiKey } from '../api/apiKeys';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { useNotify } from '../hooks/useNotify';
import { useWatchedList } from '../hooks/useWatchedList';
import { useI18n } from '../i18n';
import { NewApiKeyModal } from './apiKeys/NewApiKeyModal';

export default function ApiKeysPage() {
  const { t } = useI18n();
  const notify = useNotify();
  const { items, loading, error, reload } = useWatchedList(apiKeysApi);
  const [creating, setCreating] = useState(false);

  const remove = async (key: ApiKey) => {
    try {
      await apiKeysApi.remove(key.id);
      notify.success(t('common.deleted'));
      await reload();
    } catch (e) {
      notify.error(e);
    }
  };

  const setActive = async (key: ApiKey, active: boolean) => {
    try {
      await apiKeysApi.update(key.id, { is_active: active });
      notify.success(t(active ? 'keys.enabled' : 'keys.disabled'));
      await reload();
    } catch (e) {
      notify.error(e);
    }
  };

  const scopeLabel = { '*': t('keys.scopeAll'), management: t('keys.scopeManagement'), inference: t('keys.scopeInference') };

  return (
    <>
      <PageHeader
        title={t('keys.title')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-api-key">
            {t('keys.new')}
          </Button>
        }
      />
      <ErrorAlert error={error} />
      <Table<ApiKey>
        rowKey="id"
        loading={loading}
        dataSource={items}
        locale={{ emptyText: <Empty description={t('keys.empty')} /> }}
        columns={[
          { title: t('common.name'), dataIndex: 'name' },
          { title: t('keys.value'), dataIndex: 'masked_value', render: (v: string) => <code>{v}</code> },
          {
            title: t('keys.active'),
            dataIndex: 'is_active',
            render: (active: boolean, key) => (
              <Switch size="small" checked={active} onChange={(on) => void setActive(key, on)} data-testid={`key-active-${key.name}`} />
            ),
          },
          { title: t('keys.scope'), dataIndex: 'scope', render: (s: ApiKey['scope']) => <Tag>{scopeLabel[s] ?? s}</Tag> },
          {
            title: t('keys.allowedModels'),
            dataIndex: 'allowed_model_names',
            render: (m: string[] | null) => (m?.length ? m.map((n) => <Tag key={n}>{n}</Tag>) : t('common.all')),
          },
          { title: t('keys.expiry'), dataIndex: 'expires_at', render: (v: string | null) => (v ? formatTime(v) : t('common.never')) },
          { title: t('keys.lastUsed'), dataIndex: 'last_used_at', render: formatTime },
          { title: t('common.description'), dataIndex: 'description' },
          {
            title: t('common.actions'),
            render: (_, key) => (
              <Popconfirm title={t('common.confirmDelete', { name: key.name })} onConfirm={() => remove(key)}>
                <Button danger size="small">
                  {t('common.delete')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <NewApiKeyModal open={creating} onClose={() => setCreating(false)} onCreated={() => void reload()} />
    </>
  );
}
