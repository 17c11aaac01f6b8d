import { Alert, Spin } from 'antd';
import { useEffect, useState } from 'react';
import { evaluationsApi, type EvaluationResult } from '../../api/evaluations';
import type { ModelSpec } from '../../api/models';
import { formatBytes } from '../../components/format';
import { useI18n } from '../../i18n';

const DEBOUNCE_MS = 500;

function placementText(r: EvaluationResult): string {
  return (r.placements ?? [])
    .map((p) => {
      const vram = typeof p.vram === 'number' ? p.vram : Object.values(p.vram ?? {}).reduce((s, v) => s + v, 0);
      const vendor = p.gpu_vendor ? ` (${p.gpu_vendor})` : '';
      const gpus = p.gpu_indexes?.length ? ` GPU ${p.gpu_indexes.join(',')}${vendor}` : '';
      return `${p.worker_name}${gpus}: RAM ${formatBytes(p.ram ?? 0)}${vram ? `, VRAM ${formatBytes(vram)}` : ''}`;
    })
    .join('; ');
}

/** Dry-runs the scheduler for the spec being edited (debounced) and shows the verdict. */
export function CompatibilityCheck({ spec }: { spec: ModelSpec | null }) {
  const { t } = useI18n();
  const [result, setResult] = useState<EvaluationResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = spec ? JSON.stringify(spec) : '';

  useEffect(() => {
    if (!spec) {
      setResult(null);
      setError(null);
      return undefined;
    }
    let live = true;
    setBusy(true);
    const timer = window.setTimeout(() => {
      evaluationsApi
        .evaluate(spec)
        .then((r) => live && (setResult(r.results[0] ?? null), setError(null)))
        .catch((e: Error) => live && (setError(e.message), setResult(null)))
        .finally(() => live && setBusy(false));
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [key]);

  if (!spec) return <Alert type="info" message={t('deploy.fillSource')} />;
  if (busy) return <Alert type="info" icon={<Spin size="small" />} showIcon message={t('deploy.checking')} />;
  if (error) return <Alert type="error" showIcon role="alert" message={error} data-testid="compat-result" />;
  if (!result) return null;
  return (
    <Alert
      data-testid="compat-result"
      type={result.compatible ? 'success' : 'warning'}
      showIcon
      message={result.compatible ? t('deploy.compatible') : t('deploy.incompatible')}
      description={[result.message, placementText(result)].filter(Boolean).join(' — ')}
    />
  );
}
