import { DatePicker } from 'antd';
import type { Dayjs } from 'dayjs';

export type TimeRange = [Dayjs | null, Dayjs | null] | null;

/** The `time_from` / `time_to` query values of a picked range (ISO, UTC). */
export function timeParams(range: TimeRange): { time_from?: string; time_to?: string } {
  return {
    time_from: range?.[0]?.toISOString(),
    time_to: range?.[1]?.toISOString(),
  };
}

export function TimeRangePicker({ value, onChange }: { value: TimeRange; onChange: (r: TimeRange) => void }) {
  return <DatePicker.RangePicker showTime allowEmpty={[true, true]} value={value} onChange={(r) => onChange(r)} />;
}
