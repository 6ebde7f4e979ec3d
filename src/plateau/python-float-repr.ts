// Python's repr() of a float, so log lines read exactly as Keras prints them (f"{new_lr}").
// Both Python's repr and JavaScript's toExponential() without digits give the shortest digit
// string that round-trips; only the layout differs: Python switches to exponent notation when
// the decimal exponent is below -4 or above 15, writes at least two exponent digits, and keeps
// a '.0' on integral values.

export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (value === 0) return `${sign}0.0`;

  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  // Python's float_repr_style 'short' (Python/pystrtod.c): exponent form iff decpt <= -4 or decpt > 16,
  // where the value is 0.DIGITS × 10^decpt.
  const decpt = exponent + 1;
  if (decpt <= -4 || decpt > 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const exponentDigits = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0] ?? ''}${fraction}e${exponent < 0 ? '-' : '+'}${exponentDigits}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}
