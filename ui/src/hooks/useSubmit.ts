import { useCallback, useState } from 'react';

interface SubmitOptions {
  /** Where a failure goes instead of `error` (usually `notify.error`, a toast). */
  onError?: (error: Error) => void;
}

interface Submit<A extends unknown[]> {
  /** Runs the work; never rejects, so it can be handed straight to `onOk`, `onFinish` or `onClick`. */
  run: (...args: A) => Promise<void>;
  /** True while the work runs: for a button's `loading` or a dialog's `confirmLoading`. */
  busy: boolean;
  /** The last failure, for an inline alert; cleared when the work runs again. */
  error: Error | null;
  clearError: () => void;
}

/** The busy flag and error of an action a person starts (save, send, compute). */
export function useSubmit<A extends unknown[]>(
  work: (...args: A) => Promise<unknown>,
  { onError }: SubmitOptions = {},
): Submit<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      await work(...args);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (onError) onError(err);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  const clearError = useCallback(() => setError(null), []);
  return { run, busy, error, clearError };
}
