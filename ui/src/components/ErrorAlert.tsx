import { Alert } from 'antd';
import { useI18n } from '../i18n';

/** An API error shown inline, in the words the server gave. */
export function ErrorAlert({ error }: { error: Error | null }) {
  const { t } = useI18n();
  if (!error) return null;
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      style={{ marginBottom: 16 }}
      message={t('error.generic', { message: error.message })}
    />
  );
}
