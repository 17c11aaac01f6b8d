import { PlusOutlined } from '@ant-design/icons';
import { Button, Empty, Flex, Form, Input, InputNumber, Modal, Popconfirm, Select, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { groupsApi, type Group, type GroupMember, type GroupRole } from '../api/groups';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { useAuth } from '../hooks/auth';
import { useNotify } from '../hooks/useNotify';
import { useSubmit } from '../hooks/useSubmit';
import { useWatchedList } from '../hooks/useWatchedList';
import { useI18n } from '../i18n';

interface GroupForm {
  name: string;
  description?: string;
  rpm_limit?: number | null;
  rpd_limit?: number | null;
  tpm_limit?: number | null;
  tpd_limit?: number | null;
}

const LIMITS = ['rpm_limit', 'rpd_limit', 'tpm_limit', 'tpd_limit'] as const;
const LIMIT_LABELS = {
  rpm_limit: 'groups.rpm_limit',
  rpd_limit: 'groups.rpd_limit',
  tpm_limit: 'groups.tpm_limit',
  tpd_limit: 'groups.tpd_limit',
} as const;

function GroupModal(props: { group: Group | null; open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [form] = Form.useForm<GroupForm>();
  const save = useSubmit(async (v: GroupForm) => {
    const body = {
      name: v.name,
      description: v.description ?? '',
      ...Object.fromEntries(LIMITS.map((k) => [k, v[k] ?? null])),
    };
    if (props.group) await groupsApi.update(props.group.id, body);
    else await groupsApi.create(body);
    notify.success(t('common.saved'));
    props.onSaved();
    props.onClose();
  });
  const { clearError } = save;
  useEffect(() => clearError(), [props.open, clearError]);

  return (
    <Modal
      open={props.open}
      title={props.group ? t('groups.editTitle', { name: props.group.name }) : t('groups.new')}
      onCancel={props.onClose}
      onOk={async () => save.run(await form.validateFields())}
      confirmLoading={save.busy}
      okText={t('common.save')}
      destroyOnHidden
    >
      <Form<GroupForm> form={form} layout="vertical" preserve={false} initialValues={props.group ?? {}}>
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true }]}>
          <Input data-testid="group-name" />
        </Form.Item>
        <Form.Item name="description" label={t('common.description')}>
          <Input />
        </Form.Item>
        <Flex gap={12} wrap>
          {LIMITS.map((k) => (
            <Form.Item key={k} name={k} label={t(LIMIT_LABELS[k])} style={{ flex: '1 1 45%' }}>
              <InputNumber min={1} precision={0} style={{ width: '100%' }} placeholder={t('groups.unlimited')} />
            </Form.Item>
          ))}
        </Flex>
      </Form>
      <ErrorAlert error={save.error} />
    </Modal>
  );
}

function MembersModal(props: { group: Group | null; onClose: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const { user } = useAuth();
  const [members, setMembers] = useState<GroupMember[]>([]);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<GroupRole>('member');
  const group = props.group;

  const load = useCallback(async () => {
    if (!group) return;
    try {
      setMembers(await groupsApi.members(group.id));
    } catch (e) {
      notify.error(e);
    }
  }, [group, notify]);
  useEffect(() => void load(), [load]);

  const act = async (work: Promise<unknown>) => {
    try {
      await work;
      await load();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <Modal open={group !== null} title={t('groups.membersOf', { name: group?.name ?? '' })} onCancel={props.onClose} footer={null} width={640} destroyOnHidden>
      <Flex gap={8} style={{ marginBottom: 12 }}>
        <Input placeholder={t('users.username')} value={username} onChange={(e) => setUsername(e.target.value)} data-testid="member-username" />
        {user?.is_admin && (
          <Select<GroupRole>
            value={role}
            onChange={setRole}
            style={{ width: 160 }}
            options={[
              { value: 'member', label: t('groups.roleMember') },
              { value: 'admin', label: t('groups.roleAdmin') },
            ]}
          />
        )}
        <Button
          type="primary"
          disabled={!username.trim() || !group}
          data-testid="add-member"
          onClick={() => group && act(groupsApi.addMember(group.id, { username: username.trim(), role }).then(() => setUsername('')))}
        >
          {t('groups.addMember')}
        </Button>
      </Flex>
      <Table<GroupMember>
        rowKey="user_id"
        size="small"
        dataSource={members}
        pagination={false}
        columns={[
          { title: t('users.username'), dataIndex: 'username' },
          {
            title: t('groups.role'),
            dataIndex: 'role',
            render: (r: GroupRole, m) =>
              user?.is_admin && group ? (
                <Select<GroupRole>
                  size="small"
                  value={r}
                  style={{ width: 140 }}
                  onChange={(next) => act(groupsApi.setRole(group.id, m.user_id, next))}
                  options={[
                    { value: 'member', label: t('groups.roleMember') },
                    { value: 'admin', label: t('groups.roleAdmin') },
                  ]}
                />
              ) : (
                <Tag color={r === 'admin' ? 'blue' : 'default'}>{t(r === 'admin' ? 'groups.roleAdmin' : 'groups.roleMember')}</Tag>
              ),
          },
          {
            title: t('common.actions'),
            render: (_, m) => (
              <Button size="small" danger onClick={() => group && act(groupsApi.removeMember(group.id, m.user_id))}>
                {t('groups.remove')}
              </Button>
            ),
          },
        ]}
      />
    </Modal>
  );
}

/** Groups (teams): administrators create them and set shared limits; group admins manage members. */
export default function GroupsPage() {
  const { t } = useI18n();
  const notify = useNotify();
  const { user } = useAuth();
  const { items, loading, error, reload } = useWatchedList(groupsApi);
  const [editing, setEditing] = useState<Group | null>(null);
  const [open, setOpen] = useState(false);
  const [membersOf, setMembersOf] = useState<Group | null>(null);
  const limit = (v: number | null) => v ?? t('groups.unlimited');

  const remove = async (g: Group) => {
    try {
      await groupsApi.remove(g.id);
      notify.success(t('common.deleted'));
      await reload();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <>
      <PageHeader
        title={t('menu.groups')}
        extra={
          user?.is_admin && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => { setEditing(null); setOpen(true); }} data-testid="new-group">
              {t('groups.new')}
            </Button>
          )
        }
      />
      <ErrorAlert error={error} />
      <Table<Group>
        rowKey="id"
        loading={loading}
        dataSource={items}
        onRow={(g) => ({ 'data-testid': `group-row-${g.name}` }) as object}
        locale={{ emptyText: <Empty description={t('groups.empty')} /> }}
        columns={[
          { title: t('common.name'), dataIndex: 'name' },
          { title: t('common.description'), dataIndex: 'description' },
          { title: t('groups.rpm_limit'), dataIndex: 'rpm_limit', render: limit },
          { title: t('groups.rpd_limit'), dataIndex: 'rpd_limit', render: limit },
          { title: t('groups.tpm_limit'), dataIndex: 'tpm_limit', render: limit },
          { title: t('groups.tpd_limit'), dataIndex: 'tpd_limit', render: limit },
          { title: t('common.createdAt'), dataIndex: 'created_at', render: formatTime },
          {
            title: t('common.actions'),
            render: (_, g) => (
              <Flex gap={6}>
                <Button size="small" onClick={() => setMembersOf(g)} data-testid={`members-${g.name}`}>
                  {t('groups.members')}
                </Button>
                {user?.is_admin && (
                  <>
                    <Button size="small" onClick={() => { setEditing(g); setOpen(true); }}>
                      {t('common.edit')}
                    </Button>
                    <Popconfirm title={t('common.confirmDelete', { name: g.name })} onConfirm={() => remove(g)}>
                      <Button size="small" danger>
                        {t('common.delete')}
                      </Button>
                    </Popconfirm>
                  </>
                )}
              </Flex>
            ),
          },
        ]}
      />
      <GroupModal group={editing} open={open} onClose={() => setOpen(false)} onSaved={() => void reload()} />
      <MembersModal group={membersOf} onClose={() => setMembersOf(null)} />
    </>
  );
}
