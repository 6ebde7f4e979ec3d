// Documented exit codes (README "Exit codes").
export const ExitCode = {
  ok: 0,
  sweepFailed: 1,
  badInput: 2,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
