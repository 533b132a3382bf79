import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnWidths, formatTable, formatTabbed } from './table.js';

test('formatTable pads every column but the last to its widest cell plus three, at least six', () => {
  const lines = formatTable([
    ['NAME', 'READY', 'AGE'],
    ['a', '1/1', '5s'],
    ['longer-name', '0/1', '3m2s'],
  ]);
  assert.deepEqual(lines, ['NAME          READY   AGE', 'a             1/1     5s', 'longer-name   0/1     3m2s']);
  assert.deepEqual(formatTable([['A', 'B']]), ['A     B']);
});

test('columnWidths can be reused so later rows line up', () => {
  const w = columnWidths([['NAME', 'X']]);
  assert.deepEqual(formatTable([['ab', 'y']], w), ['ab     y']);
});

test('formatTabbed pads with two spaces and no minimum, as kubectl\'s describe and history tables', () => {
  assert.deepEqual(formatTabbed([['REVISION', 'CHANGE-CAUSE'], ['1', '<none>']]), ['REVISION  CHANGE-CAUSE', '1         <none>']);
  assert.deepEqual(formatTabbed([['A', 'B'], ['c', 'd']]), ['A  B', 'c  d']);
});
