/// Case-insensitive matching (`(?i)`), as in RE2: two scalars match each other when they have the same Unicode
/// simple case folding. The scalars that fold alike form an orbit — `k K` and the Kelvin sign `K`; `s S ſ`;
/// `σ ς Σ`; `ß ẞ`; `ǆ ǅ Ǆ`; most letters are in an orbit of two, most scalars in none — and matching is symmetric:
/// `(?i)k` matches the Kelvin sign exactly when `(?i)\x{212A}` matches `k`.
///
/// The standard library has no case folding, so the orbits are built from the one-scalar lowercase, uppercase and
/// titlecase mappings: the scalars those mappings connect, plus the three pairs Unicode 15.1 added to the simple
/// folding (``extraFoldings``). For every scalar of Unicode 14 the mappings give exactly the orbits of
/// CaseFolding.txt (statuses C and S), once the dotless `ı` is left out: it uppercases to `I` but folds
/// to itself (its folding to `i` is the Turkic-only status T), so `ı`, like the dotted `İ`, matches only itself.
enum CaseFolding {
    /// Pairs that fold alike in CaseFolding.txt since Unicode 15.1 without a case mapping between them:
    /// `ΐ` U+0390 and U+1FD3, `ΰ` U+03B0 and U+1FE3, the ligatures `ﬅ` U+FB05 and `ﬆ` U+FB06.
    static let extraFoldings: [(UInt32, UInt32)] = [(0x0390, 0x1FD3), (0x03B0, 0x1FE3), (0xFB05, 0xFB06)]

    /// No scalar at or above this one has a case mapping (the last, U+1E943, is Adlam), so the orbits are built
    /// from the scalars below it. A test checks this against the standard library's Unicode data.
    static let mappedScalarsEnd: UInt32 = 0x20000

    /// Each scalar that is in an orbit, mapped to the other scalars of its orbit.
    private static let orbits: [UInt32: [UInt32]] = buildOrbits()

    /// The scalars in an orbit, ascending.
    static let foldingScalars: [UInt32] = orbits.keys.sorted()

    /// For each of ``foldingScalars``, its orbit's lowest and highest scalar: a range of a class that holds this span
    /// holds the whole orbit, so folding the class adds nothing for that scalar.
    static let orbitSpans: [ClosedRange<UInt32>] = foldingScalars.map { scalar in
        let others = orbits[scalar]!
        return min(scalar, others.first!)...max(scalar, others.last!)
    }

    /// The other scalars of the orbit of `scalar`; empty for a scalar without other cases.
    static func otherCases(of scalar: UInt32) -> [UInt32] {
        orbits[scalar] ?? []
    }

    /// Groups the scalars joined by one-scalar case mappings (union–find over the scalars below
    /// ``mappedScalarsEnd``), leaving out the mappings of `ı`.
    private static func buildOrbits() -> [UInt32: [UInt32]] {
        var parent = Array(UInt32(0)..<mappedScalarsEnd)
        func root(_ scalar: UInt32) -> UInt32 {
            var scalar = scalar
            while parent[Int(scalar)] != scalar {
                parent[Int(scalar)] = parent[Int(parent[Int(scalar)])]
                scalar = parent[Int(scalar)]
            }
            return scalar
        }
        var joined: [UInt32] = []
        for value in UInt32(0)..<mappedScalarsEnd where value != dotlessI {
            guard let scalar = Unicode.Scalar(value), scalar.properties.changesWhenCaseMapped else { continue }
            let properties = scalar.properties
            for mapping in [properties.lowercaseMapping, properties.uppercaseMapping, properties.titlecaseMapping] {
                var scalars = mapping.unicodeScalars.makeIterator()
                guard let other = scalars.next()?.value, scalars.next() == nil, other != value,
                      other < mappedScalarsEnd else { continue }
                let (a, b) = (root(value), root(other))
                if a != b { parent[Int(max(a, b))] = min(a, b) }
                joined.append(value)
                joined.append(other)
            }
        }
        // Simple foldings that no one-scalar case mapping joins (status S pairs added in Unicode 15.1).
        for (a, b) in extraFoldings {
            let (ra, rb) = (root(a), root(b))
            if ra != rb { parent[Int(max(ra, rb))] = min(ra, rb) }
            joined.append(a)
            joined.append(b)
        }
        var members: [UInt32: Set<UInt32>] = [:]
        for scalar in joined { members[root(scalar), default: []].insert(scalar) }
        var orbits: [UInt32: [UInt32]] = [:]
        for orbit in members.values {
            for scalar in orbit { orbits[scalar] = orbit.filter { $0 != scalar }.sorted() }
        }
        return orbits
    }

    /// U+0131 LATIN SMALL LETTER DOTLESS I.
    private static let dotlessI: UInt32 = 0x131
}

extension ScalarSet {
    /// The set with the other cases of its members added: what a class matches under `(?i)`, built when the
    /// pattern is compiled. RE2 folds a class before negating it, so that `(?i)[^a]`, `(?i)\W` and
    /// `(?i)[[:^upper:]]` match no case of a letter they leave out.
    ///
    /// A scalar is in the result exactly when it or one of its other cases is in the set (orbits are symmetric).
    /// - Complexity: O(f) for the f scalars with other cases inside the set's ranges, plus O(log r) for each of
    ///   them whose orbit reaches outside its range (r: the ranges of the result). A class of every scalar takes
    ///   one pass over the orbits' spans.
    func addingOtherCases() -> ScalarSet {
        var result = self
        let folding = CaseFolding.foldingScalars, spans = CaseFolding.orbitSpans
        for range in ranges {
            var index = folding.partitionPoint { $0 < range.lowerBound }
            while index < folding.count && folding[index] <= range.upperBound {
                let span = spans[index]
                if span.lowerBound < range.lowerBound || span.upperBound > range.upperBound {
                    for other in CaseFolding.otherCases(of: folding[index]) where !result.contains(other) {
                        result.insert(other...other)
                    }
                }
                index += 1
            }
        }
        return result
    }
}
