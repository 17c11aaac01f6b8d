import { PlusOutlined } from '@ant-design/icons';
import { Button, Empty, Flex, Form, Input, Modal, Popconfirm, Select, Switch, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import { groupsApi } from '../api/groups';
import { usersApi, type User } from '../api/users';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { useAsync } from '../hooks/useAsync';
import { useNotify } from '../hooks/useNotify';
import { useSubmit } from '../hooks/useSubmit';
import { useWatchedList } from '../hooks/useWatchedList';
import { useI18n } from '../i18n';

interface UserForm {
  username: string;
  full_name?: string;
  password?: string;
  is_admin: boolean;
  is_active: boolean;
}

function UserModal(props: { user: User | null; open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [form] = Form.useForm<UserForm>();
  const editing = props.user !== null;

  // A refusal stays inside the dialog, beside the fields, so the person can correct them.
  const save = useSubmit(async (v: UserForm) => {
    if (props.user) {
      await usersApi.update(props.user.id, {
        full_name: v.full_name,
        is_admin: v.is_admin,
        is_active: v.is_active,
        ...(v.password ? { password: v.password } : {}),
      });
    } else {
      await usersApi.create({ ...v, full_name: v.full_name ?? '', password: v.password ?? '', source: 'local' });
    }
    notify.success(t('common.saved'));
    props.onSaved();
    props.onClose();
  });
  const { clearError } = save;

  useEffect(() => clearError(), [props.open, clearError]);

  const submit = async () => {
    await save.run(await form.validateFields());
  };

  return (
    <Modal
      open={props.open}
      title={editing ? t('users.editTitle', { name: props.user?.username ?? '' }) : t('users.new')}
      onCancel={props.onClose}
      onOk={submit}
      confirmLoading={save.busy}
      okText={t('common.save')}
      destroyOnHidden
    >
      <Form<UserForm>
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{
          username: props.user?.username,
          full_name: props.user?.full_name ?? '',
          is_admin: props.user?.is_admin ?? false,
          is_active: props.user?.is_active ?? true,
        }}
      >
        <Form.Item name="username" label={t('users.username')} rules={[{ required: true }]}>
          <Input disabled={editing} />
        </Form.Item>
        <Form.Item name="full_name" label={t('users.fullName')}>
          <Input />
        </Form.Item>
        {/* OIDC and LDAP users keep their password at their identity provider. */}
        {(!props.user || props.user.source === 'local') && (
          <Form.Item
            name="password"
            label={t('users.password')}
            extra={editing ? t('users.passwordKeep') : t('password.policy')}
            rules={editing ? [] : [{ required: true }, { min: 8, message: t('password.policy') }]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        )}
        <Flex gap={24}>
          <Form.Item name="is_admin" label={t('users.role')}>
            <Select
              data-testid="user-role"
              style={{ width: 160 }}
              options={[
                { value: false, label: t('users.user') },
                { value: true, label: t('users.admin') },
              ]}
            />
          </Form.Item>
          <Form.Item name="is_active" label={t('users.active')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Flex>
      </Form>
      <ErrorAlert error={save.error} />
    </Modal>
  );
}

export default function UsersPage() {
  const { t } = useI18n();
  const notify = useNotify();
  const { items, loading, error, reload } = useWatchedList(usersApi);
  const [editing, setEditing] = useState<User | null>(null);
  const [open, setOpen] = useState(false);
  // Each user's groups (with the role in each), from the groups and their members.
  const memberships = useAsync(async () => {
    const byUser = new Map<number, { name: string; admin: boolean }[]>();
    for (const g of (await groupsApi.list()).items) {
      for (const m of await groupsApi.members(g.id)) {
        byUser.set(m.user_id, [...(byUser.get(m.user_id) ?? []), { name: g.name, admin: m.role === 'admin' }]);
      }
    }
    return byUser;
  }, [items]);

  const act = async (work: Promise<unknown>) => {
    try {
      await work;
      notify.success(t('common.saved'));
      await reload();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <>
      <PageHeader
        title={t('menu.users')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => { setEditing(null); setOpen(true); }} data-testid="new-user">
            {t('users.new')}
          </Button>
        }
      />
      <ErrorAlert error={error} />
      <Table<User>
        rowKey="id"
        loading={loading}
        dataSource={items}
        onRow={(u) => ({ 'data-testid': `user-row-${u.username}` }) as object}
        locale={{ emptyText: <Empty description={t('users.empty')} /> }}
        columns={[
          { title: t('users.username'), dataIndex: 'username' },
          { title: t('users.fullName'), dataIndex: 'full_name' },
          {
            title: t('users.source'),
            dataIndex: 'source',
            render: (source: User['source']) => (source === 'local' ? t('users.sourceLocal') : source.toUpperCase()),
          },
          { title: t('users.role'), dataIndex: 'is_admin', render: (a: boolean) => (a ? <Tag color="blue">{t('users.admin')}</Tag> : t('users.user')) },
          {
            title: t('users.groups'),
            dataIndex: 'id',
            render: (id: number) =>
              (memberships.data?.get(id) ?? []).map((g) => (
                <Tag key={g.name} color={g.admin ? 'blue' : 'default'}>
                  {g.admin ? `${g.name} (${t('groups.roleAdmin')})` : g.name}
                </Tag>
              )),
          },
          {
            title: t('common.state'),
            dataIndex: 'is_active',
            render: (a: boolean) => <Tag color={a ? 'green' : 'default'} data-state={a ? 'active' : 'inactive'}>{t(a ? 'users.active' : 'users.inactive')}</Tag>,
          },
          { title: t('common.createdAt'), dataIndex: 'created_at', render: formatTime },
          {
            title: t('common.actions'),
            render: (_, u) => (
              <Flex gap={6}>
                <Button size="small" onClick={() => { setEditing(u); setOpen(true); }}>
                  {t('common.edit')}
                </Button>
                <Button size="small" onClick={() => act(usersApi.update(u.id, { is_active: !u.is_active }))}>
                  {u.is_active ? t('users.deactivate') : t('users.activate')}
                </Button>
                <Popconfirm title={t('common.confirmDelete', { name: u.username })} onConfirm={() => act(usersApi.remove(u.id))}>
                  <Button size="small" danger>
                    {t('common.delete')}
                  </Button>
                </Popconfirm>
              </Flex>
            ),
          },
        ]}
      />
      <UserModal user={editing} open={open} onClose={() => setOpen(false)} onSaved={() => void reload()} />
    </>
  );
}
