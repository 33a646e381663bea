/**
 * MQTT topic <-> NATS subject translation (src/mqtt/topics.ts), checked
 * against the conversion table of the newest Go server (its
 * TestMQTTTopicAndSubjectConversion / TestMQTTFilterConversion vectors):
 * both directions, errors, and the reserved / level-up helpers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromBytes, isReservedFilter, mqttToNatsSubject, natsSubjectToMqttTopic, needsLevelUpSub, toBytes, TopicError } from '../../src/mqtt/topics.js';

const TOPICS: [string, string][] = [
  ['/', '/./'], ['//', '/././'], ['///', '/./././'], ['////', '/././././'], ['foo', 'foo'], ['/foo', '/.foo'],
  ['//foo', '/./.foo'], ['///foo', '/././.foo'], ['///foo/', '/././.foo./'], ['///foo//', '/././.foo././'],
  ['///foo///', '/././.foo./././'], ['//.foo.//', '/././/foo//././'], ['foo/bar', 'foo.bar'], ['/foo/bar', '/.foo.bar'],
  ['/foo/bar/', '/.foo.bar./'], ['foo/bar/baz', 'foo.bar.baz'], ['/foo/bar/baz', '/.foo.bar.baz'], ['/foo/bar/baz/', '/.foo.bar.baz./'],
  ['bar/', 'bar./'], ['bar//', 'bar././'], ['bar///', 'bar./././'], ['foo//bar', 'foo./.bar'], ['foo///bar', 'foo././.bar'],
  ['foo////bar', 'foo./././.bar'], ['.', '//'], ['..', '////'], ['...', '//////'], ['./', '//./'], ['.//.', '//././/'],
  ['././.', '//.//.//'], ['././/.', '//.//././/'], ['.foo', '//foo'], ['foo.', 'foo//'], ['.foo.', '//foo//'],
  ['foo../bar/', 'foo////.bar./'], ['foo../bar/.', 'foo////.bar.//'], ['/foo/', '/.foo./'], ['./foo/.', '//.foo.//'],
  ['foo.bar/baz', 'foo//bar.baz'],
];

const FILTERS: [string, string][] = [
  ['+', '*'], ['/+', '/.*'], ['+/', '*./'], ['/+/', '/.*./'], ['foo/+', 'foo.*'], ['foo/+/', 'foo.*./'], ['foo/+/bar', 'foo.*.bar'],
  ['foo/+/+', 'foo.*.*'], ['foo/+/+/', 'foo.*.*./'], ['foo/+/+/bar', 'foo.*.*.bar'], ['foo//+', 'foo./.*'], ['foo//+/', 'foo./.*./'],
  ['foo//+//', 'foo./.*././'], ['foo//+//bar', 'foo./.*./.bar'], ['foo///+///bar', 'foo././.*././.bar'],
  ['foo.bar///+///baz', 'foo//bar././.*././.baz'], ['#', '>'], ['/#', '/.>'], ['/foo/#', '/.foo.>'], ['foo/#', 'foo.>'],
  ['foo//#', 'foo./.>'], ['foo///#', 'foo././.>'], ['foo/bar/#', 'foo.bar.>'], ['foo/bar.baz/#', 'foo.bar//baz.>'],
  ['foo*/bar', 'foo*.bar'], ['foo>/bar', 'foo>.bar'], ['foo/*/bar', 'foo.*.bar'], ['foo/*/bar/*', 'foo.*.bar.*'], ['foo/>', 'foo.>'],
  ['foo/*/bar/>', 'foo.*.bar.>'],
];

describe('mqtt topic <-> subject (Go table)', () => {
  it('topic names convert both ways', () => {
    for (const [topic, subject] of TOPICS) {
      assert.equal(mqttToNatsSubject(topic, false), subject, topic);
      assert.equal(natsSubjectToMqttTopic(subject), topic, subject);
    }
  });

  it('filters convert with wildcards', () => {
    for (const [topic, subject] of FILTERS) assert.equal(mqttToNatsSubject(topic, true), subject, topic);
  });

  it('refusals: wildcards in topic names [MQTT-3.3.2-2], whitespace and DEL', () => {
    for (const [t, re] of [['foo/+', /wildcards not allowed in publish/], ['foo/#', /wildcards not allowed in publish/], ['foo bar', /not supported/], ['foo\x7fbar', /not supported/], ['a\tb', /not supported/]] as [string, RegExp][]) {
      const r = mqttToNatsSubject(t, false);
      assert.ok(r instanceof TopicError, t);
      assert.match(r.message, re);
    }
    assert.ok(mqttToNatsSubject('a b/#', true) instanceof TopicError);
  });

  it('non-ASCII topics travel as the byte strings subjects are', () => {
    const b = toBytes('ü/ß');
    assert.equal(b, Buffer.from('ü/ß').latin1Slice(0, 5));
    assert.equal(mqttToNatsSubject(b, false), Buffer.from('ü.ß').latin1Slice(0, 5));
    assert.equal(fromBytes(natsSubjectToMqttTopic(mqttToNatsSubject(b, false) as string)), 'ü/ß');
  });

  it('reserved filters [MQTT-4.7.2-1] and the level-up subscription of # [MQTT-4.7.1-2]', () => {
    assert.deepEqual(['>', '*', '*.x', 'a.>', '$x', 'a'].map(isReservedFilter), [true, true, true, false, false, false]);
    assert.deepEqual(['a.>', '>', 'a.b.>', 'a.*', '.>'].map(needsLevelUpSub), [true, false, true, false, false]);
  });
});
