import { useCallback, useRef, useState, type RefObject } from 'react';

/**
 * State whose latest value can be read at once. Keys typed in a burst reach the input handler
 * before React renders again, so a handler that read the rendered value would act on stale state
 * (a second space would pick the seat the first one left); it reads `.current` instead.
 */
export function useRefState<T>(initial: T): [T, (next: T | ((previous: T) => T)) => void, RefObject<T>] {
  const [value, setValue] = useState(initial);
  const ref = useRef(initial);
  const set = useCallback((next: T | ((previous: T) => T)) => {
    ref.current = typeof next === 'function' ? (next as (previous: T) => T)(ref.current) : next;
    setValue(ref.current);
  }, []);
  return [value, set, ref];
}
