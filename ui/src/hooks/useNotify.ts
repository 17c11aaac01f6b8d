import { App } from 'antd';
import { useMemo } from 'react';
import { useI18n } from '../i18n';

/** Shows API errors in words (their `message`) and short confirmations. */
export function useNotify() {
  const { message } = App.useApp();
  const { t } = useI18n();
  return useMemo(
    () => ({
      error(err: unknown) {
        const text = err instanceof Error ? err.message : String(err);
        void message.error({ content: t('error.generic', { message: text }), duration: 6 });
      },
      success(text: string) {
        void message.success(text);
      },
    }),
    [message, t],
  );
}
