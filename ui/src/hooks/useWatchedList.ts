import { useCallback, useEffect, useRef, useState } from 'react';
import type { ListQuery, Resource, WatchEvent } from '../api/http';

interface WatchedList<T> {
  items: T[];
  loading: boolean;
  error: Error | null;
  reload: () => Promise<void>;
}

const RECONNECT_MS = 3000;

/** Applies one watch event to a list held in state. */
export function applyEvent<T extends { id: unknown }>(items: T[], event: WatchEvent<T>): T[] {
  const rest = items.filter((i) => i.id !== event.data.id);
  if (event.type === 'DELETED') return rest;
  const index = items.findIndex((i) => i.id === event.data.id);
  if (index < 0) return [event.data, ...items];
  const next = items.slice();
  next[index] = event.data;
  return next;
}

/**
 * Loads a `/v2` list and keeps it current through the resource's watch stream; when the stream
 * drops it reconnects and reloads, so events missed in between are not lost.
 */
export function useWatchedList<T extends { id: number | string }>(
  api: Pick<Resource<T>, 'list' | 'watch'>,
  query: ListQuery = {},
  enabled = true,
): WatchedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);
  const queryKey = JSON.stringify(query);
  const queryRef = useRef(query);
  queryRef.current = query;

  const reload = useCallback(async () => {
    try {
      const res = await api.list(queryRef.current);
      setItems(res.items);
      setError(null);
    } catch (e) {
      setError(e as Error);
    } finally {
      setLoading(false);
    }
  }, [api]);

  useEffect(() => {
    if (!enabled) return undefined;
    let stop: (() => void) | null = null;
    let timer: number | undefined;
    let alive = true;
    const connect = () => {
      stop = api.watch(
        (event) => setItems((prev) => applyEvent(prev, event)),
        () => {
          stop?.();
          if (!alive) return;
          timer = window.setTimeout(() => {
            if (!alive) return;
            void reload();
            connect();
          }, RECONNECT_MS);
        },
      );
    };
    void reload();
    connect();
    return () => {
      alive = false;
      window.clearTimeout(timer);
      stop?.();
    };
  }, [api, reload, queryKey, enabled]);

  return { items, loading, error, reload };
}
