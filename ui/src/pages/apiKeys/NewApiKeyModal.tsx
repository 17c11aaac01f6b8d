import { Alert, Flex, Form, Input, InputNumber, Modal, Select, Switch, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { apiKeysApi, type ApiKeyCreated, type KeyScope } from '../../api/apiKeys';
import { modelsApi } from '../../api/models';
import { CopyButton } from '../../components/CodeBlock';
import { useNotify } from '../../hooks/useNotify';
import { useSubmit } from '../../hooks/useSubmit';
import { useI18n } from '../../i18n';

interface KeyForm {
  name: string;
  description?: string;
  expiry_days: number | 'never';
  scope: KeyScope;
  allowed_model_names?: string[];
  rpm_limit?: number | null;
  tpm_limit?: number | null;
  tpd_limit?: number | null;
  request_log?: boolean;
}

const DAY = 86400;

/** Creates a key, then shows its full value once with a copy button. */
export function NewApiKeyModal(props: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [form] = Form.useForm<KeyForm>();
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [modelNames, setModelNames] = useState<string[]>([]);

  useEffect(() => {
    if (!props.open) return;
    setCreated(null);
    form.resetFields();
    modelsApi
      .list()
      .then((r) => setModelNames(r.items.map((m) => m.name)))
      .catch(() => setModelNames([]));
  }, [props.open, form]);

  const save = useSubmit(
    async (v: KeyForm) => {
      const key = await apiKeysApi.create({
        name: v.name,
        description: v.description ?? '',
        expires_in: v.expiry_days === 'never' ? null : v.expiry_days * DAY,
        scope: v.scope,
        allowed_model_names: v.allowed_model_names?.length ? v.allowed_model_names : null,
        rpm_limit: v.rpm_limit ?? null,
        tpm_limit: v.tpm_limit ?? null,
        tpd_limit: v.tpd_limit ?? null,
        request_log: v.request_log ?? false,
      });
      setCreated(key);
      props.onCreated();
    },
    { onError: notify.error },
  );

  const submit = async () => {
    await save.run(await form.validateFields());
  };

  if (created) {
    return (
      <Modal open={props.open} title={t('keys.created')} onCancel={props.onClose} onOk={props.onClose} cancelButtonProps={{ style: { display: 'none' } }} okText={t('common.close')}>
        <Alert type="warning" showIcon message={t('keys.copyNow')} style={{ marginBottom: 12 }} />
        <Flex gap={8} align="center">
          <Typography.Text code data-testid="api-key-value" style={{ wordBreak: 'break-all' }}>
            {created.value}
          </Typography.Text>
          <CopyButton text={created.value} testId="copy-api-key" />
        </Flex>
      </Modal>
    );
  }

  return (
    <Modal open={props.open} title={t('keys.new')} onCancel={props.onClose} onOk={submit} confirmLoading={save.busy} okText={t('common.save')} destroyOnHidden>
      <Form<KeyForm> form={form} layout="vertical" initialValues={{ expiry_days: 'never', scope: '*' }}>
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true }]}>
          <Input autoFocus />
        </Form.Item>
        <Form.Item name="description" label={t('common.description')}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Flex gap={12}>
          <Form.Item name="expiry_days" label={t('keys.expiresIn')} style={{ flex: 1 }}>
            <Select
              options={[
                { value: 'never', label: t('common.never') },
                ...[1, 7, 30, 90, 365].map((n) => ({ value: n, label: t('keys.days', { n }) })),
              ]}
            />
          </Form.Item>
          <Form.Item name="scope" label={t('keys.scope')} style={{ flex: 1 }}>
            <Select
              options={[
                { value: '*', label: t('keys.scopeAll') },
                { value: 'inference', label: t('keys.scopeInference') },
                { value: 'management', label: t('keys.scopeManagement') },
              ]}
            />
          </Form.Item>
        </Flex>
        <Form.Item name="allowed_model_names" label={t('keys.allowedModels')} extra={t('keys.allowedModelsHelp')}>
          <Select mode="tags" options={modelNames.map((n) => ({ value: n, label: n }))} />
        </Form.Item>
        <Typography.Text strong>{t('keys.limits')}</Typography.Text>
        <Flex gap={12}>
          <Form.Item name="rpm_limit" label={t('keys.rpm')}>
            <InputNumber min={1} />
          </Form.Item>
          <Form.Item name="tpm_limit" label={t('keys.tpm')}>
            <InputNumber min={1} />
          </Form.Item>
          <Form.Item name="tpd_limit" label={t('keys.tpd')}>
            <InputNumber min={1} />
          </Form.Item>
        </Flex>
        <Form.Item name="request_log" label={t('menu.requestLog')} extra={t('keys.requestLogHelp')} valuePropName="checked">
          <Switch data-testid="key-request-log" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
