// A rule's MITRE ATT&CK entries as ECS `threat.*` fields. Rule files nest them the way Elastic's
// detection rules do (a list of tactic → techniques → subtechniques); ECS flattens each level into
// parallel arrays (threat.tactic.id[i] goes with threat.tactic.name[i]), which is what Kibana and
// ECS-aware consumers query.
import type { MitreRef, ThreatEntry } from '../rules/model.js';

interface Level {
  id: string[];
  name: string[];
  reference: string[];
}

function level(): Level {
  return { id: [], name: [], reference: [] };
}

/** Drops a name or reference array with nothing in it (Kestrel `.eql` rules name techniques by id only). */
function trimmed(l: Level): Partial<Level> {
  const out: Partial<Level> = { id: l.id };
  if (l.name.some(Boolean)) out.name = l.name;
  if (l.reference.some(Boolean)) out.reference = l.reference;
  return out;
}

function add(into: Level, ref: MitreRef): void {
  if (into.id.includes(ref.id)) return;
  into.id.push(ref.id);
  into.name.push(ref.name ?? '');
  into.reference.push(ref.reference ?? '');
}

/** ECS threat.*, or undefined for a rule without ATT&CK references. */
export function alertThreat(entries: readonly ThreatEntry[] | undefined): Record<string, unknown> | undefined {
  if (!entries || entries.length === 0) return undefined;
  const tactic = level();
  const technique = level();
  const subtechnique = level();
  for (const e of entries) {
    if (e.tactic?.id) add(tactic, e.tactic);
    for (const t of e.technique ?? []) {
      add(technique, t);
      for (const s of t.subtechnique ?? []) add(subtechnique, s);
    }
  }
  const out: Record<string, unknown> = { framework: entries[0]!.framework || 'MITRE ATT&CK' };
  if (tactic.id.length) out.tactic = trimmed(tactic);
  if (technique.id.length) out.technique = subtechnique.id.length ? { ...trimmed(technique), subtechnique: trimmed(subtechnique) } : trimmed(technique);
  return out;
}
