/**
 * The extension catalog: one data description of every iptables 1.8.x match and target extension
 * (`man iptables-extensions`) and of the core options. Parser, validity rules and packet model all read it;
 * there is no second copy of this knowledge anywhere.
 */

export type Family = "ipv4" | "ipv6";
export type TableName = "filter" | "nat" | "mangle" | "raw" | "security";
export type Hook = "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";

/**
 * What a single value word means. Validators and canonicalizers for each kind live in `values.ts`.
 * Keep this a closed union: every kind must be handled there.
 */
export type ValueKind =
  | "address" // host or network: 1.2.3.4, 1.2.3.0/24, 1.2.3.0/255.255.255.0, hostname; family-specific
  | "address-list" // comma list of `address` (core -s/-d)
  | "address-range" // a-b (iprange)
  | "address-mask" // plain address used as a mask (e.g. --ctorigsrc-mask? no: recent --mask)
  | "prefix-length" // 0..32 / 0..128
  | "interface" // name up to 15 chars, trailing + wildcard
  | "protocol" // name (/etc/protocols or iptables' builtin list) or number 0..255, "all"
  | "port" // number 0..65535 or service name
  | "port-range" // port, port:port, :port, port: (tcp/udp --dport)
  | "port-list" // comma list of port or port:port, at most 15 ports (ranges count twice) (multiport)
  | "port-range-dash" // port or port-port (REDIRECT/MASQUERADE --to-ports)
  | "nat-range" // [addr[-addr]][:port[-port]] with IPv6 in [brackets] (DNAT/SNAT --to-*)
  | "icmp-type" // ICMP type name, or type[/code] numbers, "any"
  | "icmpv6-type" // ICMPv6 type name, or type[/code]
  | "ctstate-list" // INVALID,NEW,ESTABLISHED,RELATED,UNTRACKED,SNAT,DNAT
  | "state-list" // INVALID,NEW,ESTABLISHED,RELATED,UNTRACKED
  | "ctstatus-list" // NONE,EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED
  | "tcp-flag-list" // comma list of SYN,ACK,FIN,RST,URG,PSH,ALL,NONE
  | "mark" // value[/mask], each 32-bit, decimal or 0x hex
  | "number" // integer; bounds in OptionSpec.min / max
  | "number-range" // n or n:m (bounds in min/max)
  | "rate" // n[/second|/minute|/hour|/day] (and their abbreviations)
  | "enum" // one of OptionSpec.values (case as listed)
  | "enum-list" // comma list of OptionSpec.values
  | "string" // free text (comment, log prefix); max length in OptionSpec.maxLength
  | "hex-string" // string match |hex| syntax
  | "chain" // a chain name
  | "mac" // XX:XX:XX:XX:XX:XX
  | "time" // hh:mm[:ss]
  | "datetime" // YYYY[-MM[-DD[Thh[:mm[:ss]]]]]
  | "weekdays" // comma list of Mon..Sun or 1..7
  | "monthdays" // comma list of 1..31
  | "user" // user name or uid (range)
  | "group" // group name or gid (range)
  | "set-name" // ipset name
  | "set-flags" // comma list of src,dst (1..6 entries)
  | "dscp-class" // DSCP class name: AF11..AF43, CS0..CS7, EF, BE
  | "tos" // TOS value[/mask] or symbolic name
  | "u32-expr" // u32 match expression
  | "bpf-bytecode" // "n,a b c d,..." program
  | "path" // file-system path (cgroup path, bpf object pin)
  | "raw" // anything; not validated (use sparingly, with a note why)
  // ---- added with the full catalog (iptables 1.8.9) ----
  | "host" // one address or hostname, no mask (TEE --gateway, TPROXY --on-ip); printed without /32
  | "host-list" // comma list of plain IPv6 addresses (rt --rt-0-addrs)
  | "prefix" // address/length network (DNPT/SNPT --src-pfx, srh --srh-psid)
  | "number64" // unsigned 64-bit integer (quota, set counters); bounds are fixed at 0..2^64-1
  | "number64-range" // n, n:m, n:, :m, 64-bit (connbytes)
  | "probability" // 0.0 .. 1.0 in 1/2^31 steps (statistic --probability)
  | "hashlimit-rate" // n[/sec|/min|/hour|/day] or bytes n[b|kb|mb]/s (hashlimit --hashlimit-upto/-above)
  | "hashlimit-burst" // packets, or bytes n[b|kb|mb] in byte mode
  | "bandwidth" // rate with unit: bit, kbit, Kibit, Bps, KBps, … (rateest --rateest-bps)
  | "duration" // n[s|ms|us] (RATEEST --rateest-interval, --rateest-ewmalog)
  | "log-level" // syslog level 0..7 or emerg,alert,crit,error,warning,notice,info,debug,panic (LOG)
  | "class-id" // major:minor, hexadecimal (CLASSIFY)
  | "ct-zone" // zone id 0..65535 or "mark" (CT --zone)
  | "named-mark" // value[/mask] or a name from an iproute2 table (realm, devgroup)
  | "connlabel" // label number 0..127 or a name from /etc/xtables/connlabel.conf
  | "led-delay" // milliseconds or "inf" (LED)
  | "mh-type" // Mobility Header type name or number, or type:type range
  | "sctp-chunk-list" // CHUNK[:flags],… or ALL / NONE (sctp --chunk-types, second word)
  | "ipv6-option-list" // type[:length],… (hbh/dst --hbh-opts/--dst-opts)
  | "ipv6-header-list" // ipv6header --header names/numbers
  | "tcp-option-list" // TCPOPTSTRIP --strip-options names/numbers
  | "reject-type"; // REJECT --reject-with; the accepted types differ per family

/** Where an option may appear, and how many value words it takes. */
export interface OptionSpec {
  /** Canonical long name as iptables-save prints it, e.g. "--dport". Short core options keep their short form ("-s"). */
  readonly name: string;
  /** Other spellings iptables accepts for it, e.g. ["--destination-port"]. */
  readonly aliases?: readonly string[];
  /** Number of value words the option consumes (0 for flags like --syn). */
  readonly args: number;
  /** Kind of each value word; one entry per arg (omit for args: 0). */
  readonly kinds?: readonly ValueKind[];
  /** Whether `! --opt` is accepted. */
  readonly negatable: boolean;
  /** For enum/enum-list kinds: the accepted words, canonical spelling, in the order iptables-save prints a list. */
  readonly values?: readonly string[];
  /** Numeric bounds for number/number-range kinds (inclusive). */
  readonly min?: number;
  readonly max?: number;
  /** For string kinds: maximum length in bytes the kernel/tool accepts. */
  readonly maxLength?: number;
  /** For string kinds: minimum length in bytes (default 1; comment accepts ""). */
  readonly minLength?: number;
  /** The option exists only in these families (default: the extension's families). */
  readonly families?: readonly Family[];
  /** True when the extension refuses to load unless this option is given. */
  readonly required?: boolean;
  /** Options of the same extension that cannot be combined with this one. */
  readonly conflicts?: readonly string[];
  /** May appear more than once in one extension instance. */
  readonly repeatable?: boolean;
  /** Set when the option is accepted but deprecated or ignored; the text says what to use instead. */
  readonly deprecated?: string;
  /** One line from the man page. */
  readonly description?: string;

  // ---- added with the full catalog; all optional ----
  /** For enum/enum-list kinds: other accepted spellings → canonical value (e.g. pkttype host → unicast). */
  readonly valueAliases?: Readonly<Record<string, string>>;
  /** For enum/enum-list kinds: values are matched case-insensitively (printed as in `values`). */
  readonly ignoreCase?: boolean;
  /** The (last) value word may be left out; it is taken only when the next word does not start with "-" (rateest). */
  readonly optionalArg?: boolean;
  /**
   * How iptables-save prints the value: "numeric" = a protocol as its number; "hex" = 0x%x, "hex2" = 0x%02x,
   * "hex4" = 0x%04x, "hex8" = 0x%08x; "signed32" = decimal as a signed 32-bit number (values above 2^31-1 come
   * out negative); "compact" = an address as given (host bits kept) with /len only for a shorter contiguous mask;
   * "masked-prefix" = network/len (a non-contiguous or too long mask: the address as given with /32 or /128);
   * "unmasked-prefix" = the address as given, always with /len (/128 for a host or a non-contiguous mask); "with-mask" = a mark
   * always as value/mask. Default: the kind's own spelling (addresses masked with /len or /mask, numbers decimal).
   */
  readonly format?: "numeric" | "hex" | "hex2" | "hex4" | "hex8" | "signed32" | "compact" | "masked-prefix" | "unmasked-prefix" | "with-mask";
  /** Per-family maximum when it differs (TCPMSS --set-mss: 65515 for IPv4, 65495 for IPv6); overrides `max`. */
  readonly maxByFamily?: Readonly<Record<Family, number>>;
  /**
   * "decimal": the option uses xtables' generic number/port parser: decimal only (no 0x; leading zeros are
   * decimal), and service names are looked up for any protocol.
   */
  readonly numberSyntax?: "decimal";
  /** iptables keeps only the low n bits of a larger number (65536 → 0 for a 16-bit port) instead of refusing it. */
  readonly valueBits?: 8 | 16;
  /** Larger values are accepted and lowered to this one (hashlimit --hashlimit-htable-size). */
  readonly clampMax?: number;
  /**
   * How iptables-save quotes the value: "always" (--string "x", with `"` and `\` escaped), "never" (printed raw even
   * with spaces, which then do not restore), default: for string kinds only when needed (xtables_save_string: bare
   * when made of letters, digits, `_` and `-`, else quoted with `"`, `\` and `'` escaped); other kinds never.
   */
  readonly saveQuoting?: "always" | "never";
  /**
   * iptables-save prints this option under another name (e.g. --syn as "--tcp-flags FIN,SYN,RST,ACK SYN",
   * MARK --set-mark as --set-xmark). For options with values, `checkValue(...).canonical` is the value printed
   * after this name; for flags (args 0) the string already contains the printed values.
   */
  readonly savedAs?: string;
  /** `! --opt V` is printed as `<invertsTo> V` without "!" (e.g. ! --connlimit-upto → --connlimit-above). */
  readonly invertsTo?: string;
  /** Value the extension uses when the option is absent (canonical spelling), per family when they differ. */
  readonly default?: string | Readonly<Record<Family, string>>;
  /**
   * "always": iptables-save prints the option with `default` even when the rule did not give it
   * (for flags: unless a conflicting option is given); "omit-default": a value equal to `default` is not printed;
   * "never": iptables-save drops the option.
   */
  readonly save?: "always" | "omit-default" | "never";
  /** Values longer than maxLength are cut to maxLength (iptables warns) instead of being refused. */
  readonly truncates?: boolean;
  /** A reversed range (high:low) is accepted by iptables and the kernel; it never matches. */
  readonly reversedRangeOk?: boolean;
  /** The option is refused unless at least one of these options of the same extension is also given. */
  readonly requiresAnyOf?: readonly string[];
  /** Built-in hooks where the kernel accepts this option (undefined: wherever the extension is accepted). */
  readonly hooks?: readonly Hook[];
  /** Protocol numbers the rule must give with `-p` (not negated, unless negatedProtocolOk) for this option. */
  readonly protocols?: readonly number[];
  /**
   * iptables refuses a value holding a newline ("Newlines not allowed in --log-prefix"), which is what an
   * unclosed quote gives it in a restore file: the value runs to the end of the line, newline included.
   */
  readonly refusesNewline?: boolean;
  /**
   * The legacy backend's kernel module refuses numbers below this that iptables and nf_tables take
   * (`--limit-burst 0`: xt_limit needs 1 or more; nf_tables uses its default burst instead).
   */
  readonly legacyMin?: number;
  /** iptables and the kernel take a negated `-p` for this option (`! -p tcp -j REDIRECT --to-ports 8080`). */
  readonly negatedProtocolOk?: boolean;
  /**
   * iptables itself checks `protocols` while it reads the option, on both backends (MASQUERADE and REDIRECT
   * --to-ports); otherwise the kernel does. Tells whether the check stands for a rule a restore file takes
   * out again (src/validity/removed.ts).
   */
  readonly protocolsCheckedByIptables?: boolean;
  /** Per-value restrictions, keyed by canonical value (e.g. REJECT tcp-reset needs -p tcp; policy --dir in/out hooks). */
  readonly valueConstraints?: Readonly<Record<string, { readonly hooks?: readonly Hook[]; readonly protocols?: readonly number[]; readonly families?: readonly Family[] }>>;
}

export interface ExtensionSpec {
  /** Name as given to -m / -j, canonical spelling (e.g. "tcp", "conntrack", "DNAT"). */
  readonly name: string;
  readonly type: "match" | "target";
  /** Other names that load the same extension (e.g. "icmpv6" for icmp6 is NOT valid; only list real ones). */
  readonly aliases?: readonly string[];
  readonly families: readonly Family[];
  /** Options in the order iptables-save prints them. */
  readonly options: readonly OptionSpec[];
  /**
   * Protocol numbers the extension needs on the rule (`-p tcp` for `-m tcp`); the kernel refuses the rule
   * otherwise. Also used for implicit loading: `-p tcp --dport 22` loads the `tcp` match.
   */
  readonly protocols?: readonly number[];
  /** iptables itself checks `protocols` while it reads the rule (multiport), not the kernel: see OptionSpec. */
  readonly protocolsCheckedByIptables?: boolean;
  /**
   * Target only: the legacy kernel refuses it unless the rule has a tcp match of SYN packets (TCPMSS, "Only works
   * on TCP SYN packets"); nf_tables takes it.
   */
  readonly legacyNeedsSynMatch?: boolean;
  /** For protocol matches: the -p names that implicitly load this match. */
  readonly implicitFor?: readonly string[];
  /** Tables where the kernel accepts the target or match (undefined: any table). */
  readonly tables?: readonly TableName[];
  /**
   * `tables` binds the legacy backend only: iptables-nft turns the extension into nftables' own expression,
   * which any table takes (TRACE becomes `meta nftrace set 1`).
   */
  readonly tablesLegacyOnly?: boolean;
  /** Built-in hooks where the kernel accepts the target or match (undefined: any hook). */
  readonly hooks?: readonly Hook[];
  /** Groups of options of which at least one must be present (e.g. MARK needs one of --set-mark, --set-xmark, …). */
  readonly requiresOneOf?: readonly (readonly string[])[];
  /**
   * Target only: "terminal" ends traversal with a verdict (ACCEPT, DROP, REJECT, DNAT, …);
   * "continue" lets the packet go on (LOG, MARK, …).
   */
  readonly verdict?: "terminal" | "continue";
  /** True when the extension comes from xtables-addons or another out-of-tree package, not iptables itself. */
  readonly outOfTree?: boolean;
  /** One line from the man page. */
  readonly description: string;

  // ---- added with the full catalog; all optional ----
  /** Set when the extension still parses but is deprecated or gone from current kernels; says what to use instead. */
  readonly deprecated?: string;
  /**
   * Something that must exist outside the rule file when it is restored (an ipset, an nfacct object,
   * a RATEEST estimator, SELinux, a BPF pin), or the kernel refuses the rule.
   */
  readonly runtimeDependency?: string;
  /** Not described in man iptables-extensions 1.8.9 but shipped and accepted by iptables 1.8.9. */
  readonly undocumented?: boolean;
  /**
   * What iptables checks of the extension's options together once it has read them all (its final check),
   * beyond `conflicts`, `requiresAnyOf` and `requiresOneOf`: requirements that depend on another option's
   * value (`--mode random` needs `--probability`), on order (`--rt-type 0` before `--rt-0-res`), or compare
   * two values (`--from` not beyond `--to`). Also what iptables accepts but silently changes (warnings).
   * `conflicting-options` reports the problems.
   */
  readonly finalCheck?: (given: readonly GivenOption[], family: Family) => readonly FinalProblem[];
}

/**
 * One option of a match or target as a final check sees it, in the order the rule gives them. The tree's
 * Option nodes are such objects: a final check runs for every `-m statistic` of a Kubernetes dump, so it reads
 * them as they are instead of a copy.
 */
export interface GivenOption {
  /** Canonical name. */
  readonly name: string;
  readonly negated: boolean;
  /** The i-th value word's text. */
  valueText(i: number): string | undefined;
  /** The i-th value word is a script word holding a shell expansion (its value is unknown). */
  valueDynamic(i: number): boolean;
}

export interface FinalProblem {
  readonly message: string;
  /** Index into the given options of the option the problem is at (default: the match or target). */
  readonly at?: number;
  /** "warning" for what iptables accepts but changes or ignores (default "error"). */
  readonly severity?: "error" | "warning";
  /** Refused by the kernel when the rule is added, not by iptables while reading it (see Finding.stage). */
  readonly stage?: "kernel";
}
