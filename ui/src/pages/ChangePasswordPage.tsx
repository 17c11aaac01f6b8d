import { Alert, Button, Card, Flex, Form, Input, Typography } from 'antd';
import { useNavigate } from 'react-router-dom';
import { authApi } from '../api/auth';
import { useAuth } from '../hooks/auth';
import { useNotify } from '../hooks/useNotify';
import { useSubmit } from '../hooks/useSubmit';
import { useI18n } from '../i18n';

interface PasswordForm {
  current_password: string;
  new_password: string;
  confirm: string;
}

/** Used both for the forced change at first login and from the avatar menu. */
export default function ChangePasswordPage() {
  const { t } = useI18n();
  const { user, refresh } = useAuth();
  const notify = useNotify();
  const navigate = useNavigate();
  const forced = Boolean(user?.require_password_change);

  const submit = useSubmit(async (values: PasswordForm) => {
    await authApi.updatePassword(values.current_password, values.new_password);
    notify.success(t('password.changed'));
    await refresh();
    navigate('/', { replace: true });
  });

  return (
    <Flex justify="center" align="center" style={{ minHeight: '100vh', background: '#f0f2f5' }}>
      <Card style={{ width: 420 }}>
        <Typography.Title level={4}>{t('password.title')}</Typography.Title>
        {forced && <Alert type="info" showIcon message={t('password.forced')} style={{ marginBottom: 16 }} />}
        {submit.error && <Alert type="error" showIcon role="alert" message={submit.error.message} style={{ marginBottom: 16 }} />}
        <Form<PasswordForm> layout="vertical" onFinish={submit.run} requiredMark={false}>
          <Form.Item name="current_password" label={t('password.current')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Form.Item
            name="new_password"
            label={t('password.new')}
            extra={t('password.policy')}
            rules={[{ required: true }, { min: 8, message: t('password.policy') }]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item
            name="confirm"
            label={t('password.confirm')}
            dependencies={['new_password']}
            rules={[
              { required: true },
              ({ getFieldValue }) => ({
                validator: (_, value) =>
                  value === getFieldValue('new_password')
                    ? Promise.resolve()
                    : Promise.reject(new Error(t('password.mismatch'))),
              }),
            ]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Flex gap={8}>
            <Button type="primary" htmlType="submit" loading={submit.busy}>
              {t('common.save')}
            </Button>
            {!forced && <Button onClick={() => navigate(-1)}>{t('common.cancel')}</Button>}
          </Flex>
        </Form>
      </Card>
    </Flex>
  );
}
