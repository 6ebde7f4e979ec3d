import { spawnSync } from 'node:child_process';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { exactNumber, kerasSnippet, MOMENTUM_VALUE, tfjsSnippet } from '../../src/results/snippets.js';
import { MOMENTUM } from '../../src/train/optimizers.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import type { TrialConfig } from '../../src/trial/types.js';
import { baseSpec } from '../rank/sweep-fixtures.js';
import { describeWithTool } from '../support/required-tool.js';

const best: TrialConfig = { learningRate: 0.003, factor: 0.5, patience: 5, minDelta: 1e-4, cooldown: 2, minLr: 1e-6, batchSize: 32 };

const pythonAvailable = spawnSync('python3', ['-c', 'import ast'], { encoding: 'utf8' }).status === 0;

/** Syntax errors python3's own parser finds in `source` ('' when none). */
function pythonSyntaxErrors(source: string): string {
  const check = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: source, encoding: 'utf8' });
  return check.status === 0 ? '' : check.stderr;
}

/** Syntax errors TypeScript's parser finds in `source`, as messages. */
function typescriptSyntaxErrors(source: string): string[] {
  const output = ts.transpileModule(source, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  return (output.diagnostics ?? []).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe('kerasSnippet', () => {
  const snippet = kerasSnippet(baseSpec, best);

  it('builds the workload’s optimizer with the best initial learning rate', () => {
    expect(snippet).toContain('optimizer = tf.keras.optimizers.Adam(learning_rate=0.003)');
  });

  it('builds ReduceLROnPlateau with every knob of the best config, in Keras argument names', () => {
    expect(snippet).toContain('keras.callbacks.ReduceLROnPlateau(');
    for (const argument of ["monitor='val_loss'", 'factor=0.5', 'patience=5', "mode='auto'", 'min_delta=0.0001', 'cooldown=2', 'min_lr=0.000001']) {
      expect(snippet).toContain(argument);
    }
  });

  it('fits with the callback, the sweep’s epochs and the best batch size', () => {
    expect(snippet).toContain('epochs=10,');
    expect(snippet).toContain('batch_size=32,');
    expect(snippet).toContain('callbacks=[reduce_lr]');
    expect(snippet).toContain("model.compile(optimizer=optimizer, loss='mean_squared_error')");
  });

  describeWithTool('python3', pythonAvailable, 'as Python source', () => {
    it('is valid Python', () => {
      expect(pythonSyntaxErrors(snippet)).toBe('');
    });

    it('stays valid Python for a sweep name and monitor with quotes and line breaks', () => {
      const odd: SweepSpec = { ...baseSpec, name: 'it\'s "odd"\nname', plateau: { ...baseSpec.plateau, monitor: "val_'loss" } };
      expect(pythonSyntaxErrors(kerasSnippet(odd, best))).toBe('');
    });
  });

  it('writes SGD with momentum for the momentum optimizer', () => {
    const momentum: SweepSpec = { ...baseSpec, workload: { ...baseSpec.workload, optimizer: 'momentum' } };
    expect(kerasSnippet(momentum, best)).toContain('tf.keras.optimizers.SGD(learning_rate=0.003, momentum=0.9)');
  });

  it('passes the metrics the sweep compiled', () => {
    const withAccuracy: SweepSpec = { ...baseSpec, workload: { ...baseSpec.workload, loss: 'binaryCrossentropy', metrics: ['accuracy'] } };
    expect(kerasSnippet(withAccuracy, best)).toContain("loss='binary_crossentropy', metrics=['accuracy'])");
  });
});

describe('tfjsSnippet', () => {
  const snippet = tfjsSnippet(baseSpec, best);

  it('imports our callback and builds the optimizer with the best learning rate', () => {
    expect(snippet).toContain("import { reduceLROnPlateau } from 'plateau-sweep';");
    expect(snippet).toContain('optimizer: tf.train.adam(0.003)');
  });

  it('passes every knob of the best config in camelCase', () => {
    for (const option of ["monitor: 'val_loss'", 'factor: 0.5', 'patience: 5', "mode: 'auto'", 'minDelta: 0.0001', 'cooldown: 2', 'minLr: 0.000001']) {
      expect(snippet).toContain(option);
    }
    expect(snippet).toContain('batchSize: 32');
    expect(snippet).toContain('epochs: 10');
  });

  it('is valid TypeScript', () => {
    expect(typescriptSyntaxErrors(snippet)).toEqual([]);
  });

  it('uses the trainer’s momentum for the momentum optimizer', () => {
    expect(MOMENTUM_VALUE).toBe(MOMENTUM);
  });

  it('uses tf.train.momentum with its momentum for the momentum optimizer', () => {
    const momentum: SweepSpec = { ...baseSpec, workload: { ...baseSpec.workload, optimizer: 'momentum' } };
    expect(tfjsSnippet(momentum, best)).toContain('tf.train.momentum(0.003, 0.9)');
  });
});

describe('exactNumber', () => {
  it('prints the shortest decimal that reads back as the same double', () => {
    expect(exactNumber(0.003)).toBe('0.003');
    expect(exactNumber(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(exactNumber(1e-7)).toBe('1e-7');
    expect(Number(exactNumber(Math.fround(0.003)))).toBe(Math.fround(0.003));
  });

  it('never prints the float32 form of a spec value', () => {
    const snippet = kerasSnippet(baseSpec, { ...best, learningRate: 0.003, factor: 0.3 });
    expect(snippet).not.toContain('0.0030000');
    expect(snippet).toContain('factor=0.3,');
  });
});
