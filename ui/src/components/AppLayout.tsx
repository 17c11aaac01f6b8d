import {
  ApartmentOutlined,
  ApiOutlined,
  BranchesOutlined,
  BarChartOutlined,
  CloudServerOutlined,
  DashboardOutlined,
  DeploymentUnitOutlined,
  AuditOutlined,
  ExperimentOutlined,
  FileOutlined,
  FileSearchOutlined,
  KeyOutlined,
  LockOutlined,
  LogoutOutlined,
  TeamOutlined,
  ThunderboltOutlined,
  CloudOutlined,
} from '@ant-design/icons';
import { Flex, Layout, Menu, Segmented, Spin, Typography } from 'antd';
import { Suspense } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../hooks/auth';
import { useI18n, type Lang } from '../i18n';
import { AvatarMenu } from './AvatarMenu';
import { PageErrorBoundary } from './PageErrorBoundary';

/** The frame around every signed-in page: side menu, language switch, avatar menu. */
export function AppLayout() {
  const { t, lang, setLang } = useI18n();
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const selected = '/' + (location.pathname.split('/')[1] ?? '');

  const items = [
    { key: '/', icon: <DashboardOutlined />, label: t('menu.dashboard') },
    { key: '/playground', icon: <ExperimentOutlined />, label: t('menu.playground') },
    { key: '/deployments', icon: <DeploymentUnitOutlined />, label: t('menu.deployments') },
    { key: '/workers', icon: <CloudServerOutlined />, label: t('menu.workers') },
    { key: '/gpus', icon: <ThunderboltOutlined />, label: t('menu.gpus') },
    { key: '/model-files', icon: <FileOutlined />, label: t('menu.modelFiles') },
    ...(user?.is_admin
      ? [
          { key: '/routes', icon: <BranchesOutlined />, label: t('menu.routes') },
          { key: '/providers', icon: <CloudOutlined />, label: t('menu.providers') },
          { key: '/users', icon: <TeamOutlined />, label: t('menu.users') },
        ]
      : []),
    { key: '/groups', icon: <ApartmentOutlined />, label: t('menu.groups') },
    { key: '/usage', icon: <BarChartOutlined />, label: t('menu.usage') },
    ...(user?.is_admin
      ? [
          { key: '/audit-logs', icon: <AuditOutlined />, label: t('menu.auditLog') },
          { key: '/request-logs', icon: <FileSearchOutlined />, label: t('menu.requestLog') },
        ]
      : []),
  ];

  const avatarMenu = {
    items: [
      { key: 'api-keys', icon: <KeyOutlined />, label: t('menu.apiKeys') },
      { key: 'password', icon: <LockOutlined />, label: t('menu.changePassword') },
      { type: 'divider' as const },
      { key: 'logout', icon: <LogoutOutlined />, label: t('menu.logout') },
    ],
    onClick: async ({ key }: { key: string }) => {
      if (key === 'api-keys') navigate('/api-keys');
      if (key === 'password') navigate('/change-password');
      if (key === 'logout') {
        await logout();
        navigate('/login');
      }
    },
  };

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider theme="light" width={210} breakpoint="lg" collapsedWidth={64}>
        <Flex align="center" gap={8} style={{ height: 56, padding: '0 20px' }}>
          <ApiOutlined style={{ fontSize: 22, color: '#1668dc' }} />
          <Typography.Text strong style={{ fontSize: 18 }}>
            {t('app.title')}
          </Typography.Text>
        </Flex>
        <Menu
          data-testid="main-menu"
          mode="inline"
          selectedKeys={[selected]}
          items={items}
          onClick={({ key }) => navigate(key)}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{ background: '#fff', display: 'flex', justifyContent: 'flex-end', gap: 16, alignItems: 'center' }}
        >
          <Segmented<Lang>
            data-testid="lang-switch"
            aria-label={t('menu.language')}
            value={lang}
            onChange={setLang}
            options={[
              { label: 'English', value: 'en' },
              { label: '简体中文', value: 'zh' },
            ]}
          />
          <AvatarMenu username={user?.username} menu={avatarMenu} />
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          <Suspense
            fallback={
              <div style={{ padding: 48, textAlign: 'center' }}>
                <Spin />
              </div>
            }
          >
            <PageErrorBoundary key={location.pathname} title={t('error.pageCrashed')}>
              <Outlet />
            </PageErrorBoundary>
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
