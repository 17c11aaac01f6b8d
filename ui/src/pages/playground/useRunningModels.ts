import { inferenceApi, type OpenAIModel } from '../../api/inference';
import type { Category } from '../../api/models';
import { useAsync } from '../../hooks/useAsync';

function categoriesOf(m: OpenAIModel): string[] {
  return m.meta?.categories ?? m.categories ?? [];
}

/** Models with a running instance that serve one of the given categories. */
export function useRunningModels(categories: Category[]) {
  const key = categories.join(',');
  const { data, error, loading } = useAsync(() => inferenceApi.models(), [key]);
  const models = (data ?? []).filter((m) => {
    const cats = categoriesOf(m);
    // Without metadata, only chat is a safe guess (llm is the default category).
    return cats.length ? cats.some((c) => categories.includes(c as Category)) : categories.includes('llm');
  });
  return { models: models.map((m) => m.id), error, loading };
}
