import { Alert, Select } from 'antd';
import { useEffect } from 'react';
import type { Category } from '../../api/models';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { useRunningModels } from './useRunningModels';

/** Picks a running model of the given categories; explains what to do when there is none. */
export function ModelSelect(props: { categories: Category[]; value: string | null; onChange: (m: string) => void }) {
  const { t } = useI18n();
  const { models, error, loading } = useRunningModels(props.categories);
  const { value, onChange } = props;
  useEffect(() => {
    if (!value && models[0]) onChange(models[0]);
  }, [models, value, onChange]);
  if (error) return <ErrorAlert error={error} />;
  if (!loading && models.length === 0) return <Alert type="info" showIcon message={t('play.noModels')} />;
  return (
    <Select
      data-testid="playground-model"
      style={{ minWidth: 260 }}
      loading={loading}
      value={value}
      onChange={onChange}
      placeholder={t('play.model')}
      options={models.map((m) => ({ value: m, label: m }))}
    />
  );
}
