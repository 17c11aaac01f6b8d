import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Divider, Flex, Form, Input, Segmented, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Navigate, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { authApi, type AuthProviders } from '../api/auth';
import { useAuth } from '../hooks/auth';
import { useSubmit } from '../hooks/useSubmit';
import { useI18n, type Lang } from '../i18n';

interface LoginForm {
  username: string;
  password: string;
}

export default function LoginPage() {
  const { t, lang, setLang } = useI18n();
  const { user, login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  // Set by the server when a company sign-in (OIDC) came back refused.
  const [params] = useSearchParams();
  const ssoError = params.get('sso_error');
  const [providers, setProviders] = useState<AuthProviders | null>(null);
  useEffect(() => {
    authApi.providers().then(setProviders, () => setProviders(null));
  }, []);
  const submit = useSubmit(async (values: LoginForm) => {
    const u = await login(values.username, values.password);
    navigate(u.require_password_change ? '/change-password' : from, { replace: true });
  });

  if (user) return <Navigate to={user.require_password_change ? '/change-password' : from} replace />;

  return (
    <Flex justify="center" align="center" style={{ minHeight: '100vh', background: '#f0f2f5' }}>
      <Card style={{ width: 380 }}>
        <Flex justify="space-between" align="center" style={{ marginBottom: 16 }}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('login.title')}
          </Typography.Title>
          <Segmented<Lang>
            size="small"
            value={lang}
            onChange={setLang}
            options={[
              { label: 'EN', value: 'en' },
              { label: '中文', value: 'zh' },
            ]}
          />
        </Flex>
        {ssoError && !submit.error && (
          <Alert type="error" showIcon role="alert" message={ssoError} style={{ marginBottom: 16 }} />
        )}
        {submit.error && <Alert type="error" showIcon role="alert" message={submit.error.message} style={{ marginBottom: 16 }} />}
        <Form<LoginForm> layout="vertical" onFinish={submit.run} requiredMark={false}>
          <Form.Item
            name="username"
            label={t('login.username')}
            rules={[{ required: true, message: t('login.required', { field: t('login.username') }) }]}
          >
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('login.password')}
            rules={[{ required: true, message: t('login.required', { field: t('login.password') }) }]}
          >
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={submit.busy}>
            {t('login.submit')}
          </Button>
        </Form>
        {providers?.oidc && (
          <>
            <Divider plain>{t('login.or')}</Divider>
            <Button block href={`${providers.oidc.login_url}?next=${encodeURIComponent(from)}`}>
              {t('login.sso', { name: providers.oidc.name })}
            </Button>
          </>
        )}
      </Card>
    </Flex>
  );
}
