import { Result, Spin } from 'antd';
import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { AppLayout } from './components/AppLayout';
import { useAuth } from './hooks/auth';
import { useI18n } from './i18n';

// One chunk per page: the first paint loads only the shell and the page being opened.
const loaders = {
  login: () => import('./pages/LoginPage'),
  'change-password': () => import('./pages/ChangePasswordPage'),
  '': () => import('./pages/DashboardPage'),
  deployments: () => import('./pages/deployments/DeploymentsPage'),
  workers: () => import('./pages/WorkersPage'),
  gpus: () => import('./pages/GpusPage'),
  'model-files': () => import('./pages/ModelFilesPage'),
  playground: () => import('./pages/playground/PlaygroundPage'),
  'api-keys': () => import('./pages/ApiKeysPage'),
  users: () => import('./pages/UsersPage'),
  groups: () => import('./pages/GroupsPage'),
  routes: () => import('./pages/RoutesPage'),
  providers: () => import('./pages/ProvidersPage'),
  usage: () => import('./pages/UsagePage'),
  'audit-logs': () => import('./pages/AuditLogPage'),
  'request-logs': () => import('./pages/RequestLogsPage'),
};
type PageKey = keyof typeof loaders;

// Fetch the opened page's chunk while the session check is still in flight.
const firstSegment = window.location.pathname.split('/')[1] ?? '';
if (firstSegment in loaders) void loaders[firstSegment as PageKey]();

const LoginPage = lazy(loaders.login);
const ChangePasswordPage = lazy(loaders['change-password']);
const DashboardPage = lazy(loaders['']);
const DeploymentsPage = lazy(loaders.deployments);
const WorkersPage = lazy(loaders.workers);
const GpusPage = lazy(loaders.gpus);
const ModelFilesPage = lazy(loaders['model-files']);
const PlaygroundPage = lazy(loaders.playground);
const ApiKeysPage = lazy(loaders['api-keys']);
const UsersPage = lazy(loaders.users);
const GroupsPage = lazy(loaders.groups);
const RoutesPage = lazy(loaders.routes);
const ProvidersPage = lazy(loaders.providers);
const UsagePage = lazy(loaders.usage);
const AuditLogPage = lazy(loaders['audit-logs']);
const RequestLogsPage = lazy(loaders['request-logs']);

const spinner = (
  <div style={{ padding: 48, textAlign: 'center' }}>
    <Spin />
  </div>
);

function RequireAuth({ children }: { children: ReactNode }) {
  const { user, checking } = useAuth();
  const location = useLocation();
  if (checking) return spinner;
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (user.require_password_change && location.pathname !== '/change-password')
    return <Navigate to="/change-password" replace />;
  return <>{children}</>;
}

function AdminOnly({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const { t } = useI18n();
  if (!user?.is_admin) return <Result status="403" title="403" subTitle={t('error.forbidden')} />;
  return <>{children}</>;
}

function NotFound() {
  const { t } = useI18n();
  return <Result status="404" title="404" subTitle={t('error.notFound')} />;
}

export function AppRoutes() {
  return (
    <Suspense fallback={spinner}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          path="/change-password"
          element={
            <RequireAuth>
              <ChangePasswordPage />
            </RequireAuth>
          }
        />
        <Route
          element={
            <RequireAuth>
              <AppLayout />
            </RequireAuth>
          }
        >
          <Route index element={<DashboardPage />} />
          <Route path="playground" element={<PlaygroundPage />} />
          <Route path="deployments" element={<DeploymentsPage />} />
          <Route path="workers" element={<WorkersPage />} />
          <Route path="gpus" element={<GpusPage />} />
          <Route path="model-files" element={<ModelFilesPage />} />
          <Route path="api-keys" element={<ApiKeysPage />} />
          <Route
            path="users"
            element={
              <AdminOnly>
                <UsersPage />
              </AdminOnly>
            }
          />
          <Route path="groups" element={<GroupsPage />} />
          <Route
            path="routes"
            element={
              <AdminOnly>
                <RoutesPage />
              </AdminOnly>
            }
          />
          <Route
            path="providers"
            element={
              <AdminOnly>
                <ProvidersPage />
              </AdminOnly>
            }
          />
          <Route path="usage" element={<UsagePage />} />
          <Route
            path="audit-logs"
            element={
              <AdminOnly>
                <AuditLogPage />
              </AdminOnly>
            }
          />
          <Route
            path="request-logs"
            element={
              <AdminOnly>
                <RequestLogsPage />
              </AdminOnly>
            }
          />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
