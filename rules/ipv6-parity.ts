import { findChain, type Family, type Ruleset } from "../src/ast/iptables.js";
import { span as spanAt, type Span } from "../src/ast/span.js";
import { acceptingStep, computeExposure, portSetOf, portsText, type ExposureItem } from "../src/model/exposure.js";
import { Model } from "../src/model/model.js";
import type { IntervalSet, Scalar } from "../src/model/sets.js";
import { defineRule, type ProjectFacts, type ProjectFile, type ProjectFileHead } from "../src/rule.js";

type AnySet = IntervalSet<Scalar>;

const dirOf = (path: string | undefined) => (path ? path.replace(/[/\\][^/\\]*$/, "") || "/" : "");

/** Rulesets read from dumps and restore files (scripts say what they add, not what a host holds). */
const isRulesetFile = (f: ProjectFileHead) => f.kind === "iptables" || f.kind === "ip6tables";

/** The ruleset files of each directory that holds both an IPv4 and an IPv6 one (indexes into `files`). */
function familyPairs(files: readonly ProjectFileHead[]): number[][] {
  const byDir = new Map<string, { files: number[]; families: Set<Family | undefined> }>();
  files.forEach((f, k) => {
    if (!isRulesetFile(f)) return;
    const dir = dirOf(f.filePath);
    let d = byDir.get(dir);
    if (!d) byDir.set(dir, (d = { files: [], families: new Set() }));
    d.files.push(k);
    d.families.add(f.family);
  });
  return [...byDir.values()].filter((d) => d.families.has("ipv4") && d.families.has("ipv6")).map((d) => d.files);
}

interface Side {
  readonly file: ProjectFile;
  readonly ruleset: Ruleset;
}

/**
 * The IPv4 and IPv6 rulesets to compare: those of one file that holds both (a script with iptables and
 * ip6tables commands, a dual-stack restore file with `-4`/`-6` rules), and per directory its one IPv4 and
 * one IPv6 ruleset file (directories with more of either are left out).
 */
function pairs(files: readonly ProjectFile[]): { v4: Side; v6: Side }[] {
  const out: { v4: Side; v6: Side }[] = [];
  const byDir = new Map<string, { v4: Side[]; v6: Side[] }>();
  for (const file of files) {
    const v4 = file.rulesets.filter((r) => r.family === "ipv4");
    const v6 = file.rulesets.filter((r) => r.family === "ipv6");
    if (v4.length === 1 && v6.length === 1) {
      out.push({ v4: { file, ruleset: v4[0]! }, v6: { file, ruleset: v6[0]! } });
      continue;
    }
    if (!isRulesetFile(file) || file.rulesets.length !== 1) continue;
    const dir = dirOf(file.filePath);
    let d = byDir.get(dir);
    if (!d) byDir.set(dir, (d = { v4: [], v6: [] }));
    (file.rulesets[0]!.family === "ipv6" ? d.v6 : d.v4).push({ file, ruleset: file.rulesets[0]! });
  }
  for (const d of byDir.values()) if (d.v4.length === 1 && d.v6.length === 1) out.push({ v4: d.v4[0]!, v6: d.v6[0]! });
  return out;
}

const KINDS = { host: "the host's", published: "published" } as const;
type Kind = keyof typeof KINDS;

/** Per kind and protocol, the ports every source can open a connection to (or, with `maybe`, might). */
function openPorts(items: readonly ExposureItem[], maybe: boolean): Map<string, AnySet> {
  const out = new Map<string, AnySet>();
  for (const it of items) {
    if (it.kind === "routed") continue;
    const open = it.openToAny || (maybe && ((it.unknown?.length ?? 0) > 0 || it.allowed.some((a) => (a.possibleSources?.length ?? 0) > 0)));
    if (!open) continue;
    const key = `${it.kind} ${it.proto}`;
    const ports = portSetOf(it.hostPort);
    const had = out.get(key);
    out.set(key, had ? had.union(ports) : ports);
  }
  return out;
}

function exposureOf(ruleset: Ruleset, facts: ProjectFacts): { model: Model; items: ExposureItem[] } {
  const model = new Model(ruleset, { local: facts.hostAddresses ?? [], external: facts.externalInterfaces ?? [] });
  return { model, items: computeExposure(model, { routed: false }) };
}

/**
 * The rule (or chain policy) of the IPv6 ruleset that lets such a connection in, found by tracing one, and
 * whether it is a policy the file never sets (a script's: it stays what the host had, ACCEPT at boot).
 */
function deciding(model: Model, ruleset: Ruleset, items: readonly ExposureItem[], kind: Kind, proto: string, port: number): { span: Span; unsetPolicy: boolean } | null {
  const it = items.find((i) => i.kind === kind && i.proto === proto && i.openToAny && portSetOf(i.hostPort).has(port));
  const step = it ? acceptingStep(model, it, port) : null;
  const chain = step ? findChain(ruleset, "filter", step.chain) : undefined;
  if (!step || !chain) {
    // not found by a traced connection: the chain that decides such connections
    const where = findChain(ruleset, "filter", kind === "host" ? "INPUT" : "FORWARD");
    return where ? { span: where.span, unsetPolicy: false } : null;
  }
  if (step.line === null) return { span: chain.span, unsetPolicy: chain.builtin && chain.policy === null };
  const rule = chain.rules.find((r) => r.line === step.line);
  return rule ? { span: rule.span, unsetPolicy: false } : null;
}

const fileName = (f: ProjectFile) => f.filePath?.split(/[/\\]/).pop() ?? "the IPv4 ruleset";

/** The start of an example's filter table: the policies, loopback and replies accepted (with a DROP policy). */
const exampleHead = (policy: "ACCEPT" | "DROP") => {
  const head = ["*filter", `:INPUT ${policy} [0:0]`, ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]"];
  return policy === "DROP" ? [...head, "-A INPUT -i lo -j ACCEPT", "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"] : head;
};
/** The IPv4 side of the docs' examples: SSH from one network only. */
const EXAMPLE_V4 = ["==> host/rules.v4 <==", ...exampleHead("DROP"), "-A INPUT -p tcp -m tcp --dport 22 -s 192.0.2.0/24 -j ACCEPT", "COMMIT"];

export default defineRule({
  id: "ipv6-parity",
  language: "project",
  category: "semantics",
  severity: "warning",
  description: "The IPv6 ruleset lets every source reach ports that the host's IPv4 ruleset does not open to everyone",
  tags: ["ipv6", "exposure", "security"],
  precision: "high",
  docs: {
    rationale: [
      "A host with IPv6 is reached over both families, and each has its own ruleset: `iptables` does nothing for IPv6 packets. A rules.v4 that closes a port while rules.v6 leaves it open (often an empty rules.v6, or one with an ACCEPT policy) leaves that port open to the whole IPv6 internet. Docker publishes ports on `[::]` as well as `0.0.0.0` when IPv6 is on.",
      "When an IPv4 and an IPv6 ruleset lie in the same directory (rules.v4 and rules.v6, one of each) and are linted together, or one file holds both (a shell script with `iptables` and `ip6tables` commands, a restore file with `-4` and `-6` rules), fwlint computes over sets which ports of the host, and which ports published to containers, every source can open a connection to, in each family (as `fwlint exposure` does), and reports the ports open to every IPv6 source that IPv4 keeps closed or restricted. The finding points at the IPv6 rule (or policy) that lets such a connection in.",
      "Ports the IPv4 ruleset might open to everyone, depending on matches fwlint cannot evaluate (limit, set, …), are not reported.",
    ].join("\n\n"),
    bad: [
      ...EXAMPLE_V4,
      "==> host/rules.v6 <==",
      ...exampleHead("ACCEPT"),
      "COMMIT",
      "",
    ].join("\n"),
    good: [
      ...EXAMPLE_V4,
      "==> host/rules.v6 <==",
      ...exampleHead("DROP"),
      "-A INPUT -p ipv6-icmp -j ACCEPT",
      "-A INPUT -p tcp -m tcp --dport 22 -s 2001:db8:1::/48 -j ACCEPT",
      "COMMIT",
      "",
    ].join("\n"),
    exceptions: "Separate files are paired one IPv4 and one IPv6 ruleset file per directory (not scripts: a script is compared with itself). A script that never sets ip6tables' policy leaves it as the host had it; fwlint takes ACCEPT, the kernel's default, and says so. Host addresses come from the facts (`hostAddresses`); without them every address outside Docker's bridges counts as the host's, in both families.",
  },
  // a file may hold both families (found when it is parsed): the rule runs wherever there is a ruleset
  appliesTo: (files) => files.some((f) => f.kind !== "daemon-json"),
  together: familyPairs,
  check({ ast, facts, report }) {
    for (const { v4, v6 } of pairs(ast.files)) {
      const four = exposureOf(v4.ruleset, facts);
      const six = exposureOf(v6.ruleset, facts);
      const open4 = openPorts(four.items, true);
      const open6 = openPorts(six.items, false);
      for (const [key, ports6] of open6) {
        const [kind, proto] = key.split(" ") as [Kind, string];
        const only6 = open4.has(key) ? ports6.subtract(open4.get(key)!) : ports6;
        if (only6.isEmpty) continue;
        const first = Number(only6.first);
        const how = deciding(six.model, v6.ruleset, six.items, kind, proto, first);
        const list = portsText(only6);
        const several = list.includes(",") || list.includes("-");
        const four4 = v4.file === v6.file ? `its IPv4 rules do` : `${fileName(v4.file)} does`;
        const unset = how?.unsetPolicy ? " (the file never sets the IPv6 policy, which stays ACCEPT, the kernel's default)" : "";
        report({
          message: `Every IPv6 source can open ${proto} connections to ${KINDS[kind]} port${several ? "s" : ""} ${list}, but ${four4} not open ${several ? "them" : "it"} to every source: the host is open over IPv6 where its IPv4 firewall is not${unset}`,
          span: how?.span ?? spanAt(1, 1, 0, 1),
          ...(v6.file.filePath ? { filePath: v6.file.filePath } : {}),
        });
      }
    }
  },
});
