// MITRE ATT&CK references for `.eql` rule headers, written as ids only ("TA0002 T1059.004") and
// expanded to the shape of Elastic's [[rule.threat]] tables. Tactic names are listed here because
// there are only fourteen; technique names are not (hundreds, and they change), so they stay ids.
import type { MitreTechnique, ThreatEntry } from './model.js';

const TACTICS: Record<string, string> = {
  TA0043: 'Reconnaissance',
  TA0042: 'Resource Development',
  TA0001: 'Initial Access',
  TA0002: 'Execution',
  TA0003: 'Persistence',
  TA0004: 'Privilege Escalation',
  TA0005: 'Defense Evasion',
  TA0006: 'Credential Access',
  TA0007: 'Discovery',
  TA0008: 'Lateral Movement',
  TA0009: 'Collection',
  TA0011: 'Command and Control',
  TA0010: 'Exfiltration',
  TA0040: 'Impact',
};

const TECHNIQUE_ID = /^T(\d{4})(?:\.(\d{3}))?$/;

/**
 * Parses `TA0002 T1059.004, TA0011 T1095`: comma-separated entries, each a tactic id followed by
 * technique or sub-technique ids. Entries for the same tactic are merged into `into`.
 * Returns an error message, or undefined on success.
 */
export function addMitreEntries(text: string, into: ThreatEntry[]): string | undefined {
  for (const entry of text.split(',')) {
    const [tacticId, ...techniqueIds] = entry.trim().split(/\s+/);
    if (!tacticId) continue;
    const tacticName = TACTICS[tacticId];
    if (!tacticName) return `unknown MITRE ATT&CK tactic id "${tacticId}" (expected TA0001…TA0043, e.g. TA0002 for Execution)`;
    let threat = into.find((t) => t.tactic.id === tacticId);
    if (!threat) {
      threat = {
        framework: 'MITRE ATT&CK',
        tactic: { id: tacticId, name: tacticName, reference: `https://attack.mitre.org/tactics/${tacticId}/` },
      };
      into.push(threat);
    }
    for (const id of techniqueIds) {
      const m = TECHNIQUE_ID.exec(id);
      if (!m) return `invalid MITRE ATT&CK technique id "${id}" (expected T1234 or T1234.001)`;
      const technique = techniqueOf(threat, `T${m[1]}`);
      if (m[2] && !technique.subtechnique?.some((s) => s.id === id)) {
        (technique.subtechnique ??= []).push({ id, reference: `https://attack.mitre.org/techniques/T${m[1]}/${m[2]}/` });
      }
    }
  }
  return undefined;
}

function techniqueOf(threat: ThreatEntry, id: string): MitreTechnique {
  const techniques = (threat.technique ??= []);
  let technique = techniques.find((t) => t.id === id);
  if (!technique) {
    technique = { id, reference: `https://attack.mitre.org/techniques/${id}/` };
    techniques.push(technique);
  }
  return technique;
}
