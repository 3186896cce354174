import Testing
import Tally
import TallyTestSupport

@Suite("CSV import: RFC 4180 and error positions")
struct CSVImportTests {
    func parse(_ text: String) throws(InputError) -> WriteBatch {
        try CSVImport.parse(Array(text.utf8), fileName: "in.csv", origin: BatchOrigin(kind: "csv", source: "in.csv"))
    }

    func error(_ text: String) -> InputError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    /// Two rows of one series at one time are refused, naming both lines: which value the file means cannot be
    /// told (the store would keep the later and count both). Other series at that time, and the same series at
    /// other times, are fine, in any order.
    @Test func aSeriesTwiceAtOneTimeIsRefusedWithBothLines() throws {
        let text = "time,metric,value,dataset\n2024-05-01T06:00:00Z,row_count,1204,orders\n"
            + "2024-05-01T06:00:00Z,row_count,7,customers\n2024-05-01T06:00:00Z,row_count,1205,orders\n"
        let e = try #require(error(text))
        #expect(e.line == 4 && e.column == 1 && e.field == "time", "\(e)")
        #expect(e.message == "row_count{dataset=\"orders\"} already has a point at 2024-05-01T06:00:00Z, on line 2: "
                + "a file holds at most one point per series and time", "\(e.message)")
        // Out of time order, the repeat is found too, and the first repeated row is the one named.
        let unordered = "time,metric,value\n3,m,1\n1,m,1\n2,m,1\n1,m,2\n3,m,3\n"
        let u = try #require(error(unordered))
        #expect(u.line == 5 && u.message.hasSuffix("on line 3: a file holds at most one point per series and time"), "\(u)")
        #expect(try parse("time,metric,value\n3,m,1\n1,m,1\n2,m,1\n").pointCount == 3)
    }

    /// A time that looks well formed but is not a time says what is wrong with it, as a query does.
    @Test func aBadTimeSaysWhatIsWrongWithIt() throws {
        let e = try #require(error("time,metric,value\n2024-02-30T06:00:00Z,m,1\n"))
        #expect(e.message.hasSuffix(#"found "2024-02-30T06:00:00Z": day 30 is out of range for 2024-02, which has 29 days"#), "\(e.message)")
        let hour = try #require(error("time,metric,value\n2024-05-01T25:00:00Z,m,1\n"))
        #expect(hour.message.hasSuffix(": hour 25 is out of range (00-23)"), "\(hour.message)")
        let words = try #require(error("time,metric,value\nyesterday,m,1\n"))
        #expect(words.message.hasSuffix(#"found "yesterday""#), "\(words.message)")
        do {
            _ = try Store.parsePointsJSON(Array(#"{"series": [{"metric": "m", "points": [{"time": "2024-13-01", "value": 1}]}]}"#.utf8),
                                          fileName: "p.json")
            Issue.record("accepted")
        } catch {
            guard case .invalid(let e) = error else { Issue.record("\(error)"); return }
            #expect(e.message.hasSuffix(#"found "2024-13-01": month 13 is out of range (01-12)"#), "\(e.message)")
        }
    }

    /// A file without points is refused (it would make a batch of nothing): a CSV header alone, a JSON document
    /// with no series or only series without points.
    @Test func aFileWithoutPointsIsRefused() throws {
        for header in ["time,metric,value", "time,metric,value,dataset\n", "time,metric,value\r\n\r\n"] {
            let e = try #require(error(header), "\(header.debugDescription)")
            #expect(e.line == 1 && e.message == "the file has only its header, no rows: there are no points to ingest")
        }
        for json in [#"{"series": []}"#, #"{"series": [{"metric": "m", "points": []}]}"#] {
            do {
                _ = try Store.parsePointsJSON(Array(json.utf8), fileName: "p.json")
                Issue.record("accepted \(json)")
            } catch {
                guard case .invalid(let e) = error else { Issue.record("\(error)"); continue }
                #expect(e.path == "$.series" && e.message.hasPrefix("there are no points to ingest"), "\(e)")
            }
        }
    }

    /// The same in a points JSON file, where a series may be listed twice: the paths of both points.
    @Test func aJSONSeriesTwiceAtOneTimeIsRefusedWithBothPaths() throws {
        let json = #"{"series": [{"metric": "m", "points": [{"time": 1, "value": 1}, {"time": 2, "value": 2}]},"#
            + #" {"metric": "n", "points": []}, {"metric": "m", "points": [{"time": 2, "value": 3}]}]}"#
        do {
            _ = try Store.parsePointsJSON(Array(json.utf8), fileName: "p.json")
            Issue.record("accepted")
        } catch {
            guard case .invalid(let e) = error else { Issue.record("\(error)"); return }
            #expect(e.path == "$.series[2].points[0].time" && e.line == 1, "\(e)")
            #expect(e.message == "m already has a point at 1970-01-01T00:00:00.002Z, at $.series[0].points[1]: "
                    + "a file holds at most one point per series and time", "\(e.message)")
        }
    }

    @Test func quotingCRLFAndEmbeddedLineBreaks() throws {
        let batch = try parse("\u{FEFF}time,metric,value,note\r\n1,m,1,\"a, b\"\r\n2,m,2,\"say \"\"hi\"\"\"\r\n3,m,3,\"two\nlines\"\r\n\r\n")
        #expect(batch.pointCount == 3)
        #expect(batch.series.map { $0.key[label: "note"] } == ["a, b", "say \"hi\"", "two\nlines"])
        #expect(batch.times == [1, 2, 3])
    }

    /// Labels named like the columns ingest reads (`time`, `value`, `metric`, `outcome`) are written by export as
    /// `label:NAME`, and read back as those labels: export output loads into an equal store.
    @Test func labelsNamedLikeColumnsReadBackFromExport() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "t"))
        let labels: [Label] = [Label("time", "t1"), Label("value", "v1"), Label("outcome", "o"), Label("metric", "m2"), Label("x", "1")]
        let series = batch.addSeries(SeriesKey(metric: "y", labels: labels), kind: .measurement)
        batch.append(series: series, time: 1_714_543_200_000, value: 1.5)
        try store.write(batch)
        let csv = try store.query("y").csv()
        #expect(csv.hasPrefix("metric,label:metric,label:outcome,label:time,label:value,x,time,value\n"), "\(csv)")
        let back = try parse(csv)
        #expect(back.series.map(\.key) == [SeriesKey(metric: "y", labels: labels)])
        #expect(back.times == [1_714_543_200_000] && back.values == [1.5])
        try store.close()
        // One label under both spellings is an error naming the second.
        let twice = error("metric,foo,label:foo,time,value\nm,a,b,1,1\n")
        #expect(twice?.field == "label:foo" && twice?.message.contains("label foo appears twice in the header (as foo and label:foo)") == true,
                "\(String(describing: twice))")
        let reversed = error("metric,label:foo,foo,time,value\nm,a,b,1,1\n")
        #expect(reversed?.field == "foo" && reversed?.message.contains("(as label:foo and foo)") == true, "\(String(describing: reversed))")
        #expect(error("metric,label:1x,time,value\nm,a,1,1\n")?.message.contains("not a valid label name") == true)
    }

    @Test func emptyCellsMeanNoLabelAndNullValue() throws {
        let batch = try parse("time,metric,value,dataset\n1,m,,\n2,m,5,orders\n")
        #expect(batch.series.count == 2)
        #expect(batch.series[0].key.labels.isEmpty)
        #expect(optionalValue(batch.values[0]) == nil)
        #expect(batch.values[1] == 5)
    }

    @Test func timesInEveryAcceptedForm() throws {
        let batch = try parse("""
            time,metric,value
            2024-05-01T06:00:00Z,a,1
            2024-05-01T08:00:00+02:00,b,1
            2024-05-01T06:00:00.123456Z,c,1
            1714543200000,d,1
            2024-05-01 06:00:00Z,e,1

            """)
        let t = 1_714_543_200_000 as Int64
        #expect(batch.times == [t, t, t + 123, t, t])
        // (One series per row: these are one time, and a file holds one point per series and time.)
        // Years outside 0000–9999 as Tally writes them, up to the latest time a point can have.
        let far = try parse("time,metric,value\n-0044-03-15T00:00:00Z,m,1\n+10000-01-01T00:00:00Z,m,1\n"
                            + "+292278994-08-17T07:12:55.806Z,m,1\n-9223372036854775808,m,1\n")
        #expect(far.times == [TimeText.parse("-0044-03-15T00:00:00Z"), TimeText.parse("+10000-01-01T00:00:00Z"),
                              Int64.max - 1, Int64.min])
    }

    @Test func valuesKeepEveryBit() throws {
        let batch = try parse("time,metric,value\n1,m,-0.0\n2,m,NaN\n3,m,-Infinity\n4,m,1e-300\n5,m,0.1\n")
        #expect(batch.values[0].bitPattern == (-0.0).bitPattern)
        #expect(batch.values[1].isNaN && optionalValue(batch.values[1]) != nil)
        #expect(batch.values[2] == -.infinity)
        #expect(batch.values[3] == 1e-300)
        #expect(batch.values[4] == 0.1)
    }

    /// Numbers of 64 characters and more are read another way than shorter ones: the same rules hold.
    @Test func longNumbersAreReadAsShortOnesAre() throws {
        let digits = "1" + String(repeating: "0", count: 99)
        let batch = try parse("time,metric,value\n1,m,\(digits)\n2,m,\(digits)e-99\n3,m,+INF\n4,m,\n")
        #expect(batch.values[0] == 1e99 && batch.values[1] == 1)
        #expect(batch.values[2] == .infinity && optionalValue(batch.values[3]) == nil)
        // Too large, written long: the same error as 1e400.
        let large = error("time,metric,value\n1,m,1" + String(repeating: "0", count: 400) + "\n")
        #expect(large?.message.contains("is beyond the largest number a value can be") == true, "\(String(describing: large))")
        #expect(large?.field == "value" && large?.line == 2 && large?.column == 5)
        // Not a number, written long.
        let notANumber = error("time,metric,value\n1,m,\(digits)e\n")
        #expect(notANumber?.message.hasPrefix("expected a number, NaN, Infinity or an empty cell (null), found") == true,
                "\(String(describing: notANumber))")
    }

    @Test func outcomesMakeCheckSeries() throws {
        let batch = try parse("time,metric,value,outcome\n1,c,3,fail\n2,c,0,PASS\n3,m,1,\n")
        #expect(batch.series.map(\.kind) == [.check, .measurement])
        #expect(batch.outcomes == [Outcome.fail.rawValue, Outcome.pass.rawValue, 0])
    }

    @Test(arguments: [
        ("time,metric\n1,m\n", 1, nil, "no value column"),
        ("time,metric,value\n1,m,1\n2,m,x\n", 3, 5, "expected a number"),
        ("time,metric,value\n1,m,1\nyesterday,m,1\n", 3, 1, "expected an ISO 8601 time"),
        ("time,metric,value\n2024-02-30T00:00:00Z,m,1\n", 2, 1, "expected an ISO 8601 time"),
        ("time,metric,value\n1,9m,1\n", 2, 3, "not a valid metric name"),
        ("time,metric,value\n1,m\n", 2, 1, "expected 3 fields"),
        ("time,metric,value\n1,m,\"1\n", 2, 5, "quoted field is never closed"),
        ("time,metric,value\n1,m,1\"2\n", 2, 6, "a quote inside an unquoted field"),
        ("time,metric,value,bad-name\n", 1, 19, "not a valid label name"),
        ("time,metric,value,outcome\n1,c,1,fail\n2,c,1,\n", 3, 1, "with and without an outcome"),
        ("time,metric,value,outcome\n1,c,1,maybe\n", 2, 7, "expected pass, warn, fail"),
        ("", 1, nil, "empty"),
        ("time,metric,value\n1,m,1\n9223372036854775807,m,1\n", 3, 1, "past the latest time a point can have"),
        ("time,metric,value\n+292278994-08-17T07:12:55.807Z,m,1\n", 2, 1, "+292278994-08-17T07:12:55.806Z"),
        ("time,metric,value\n1,m,1e400\n", 2, 5, "beyond the largest number"),
        ("time,metric,value\n1,m,-1e309\n", 2, 5, "beyond the largest number"),
        // A hexadecimal number is not one a value cell takes, however large (Swift's Double(String) reads it).
        ("time,metric,value\n1,m,0x1p2000\n", 2, 5, "expected a number"),
        ("time,metric,value\n1,m,1e400e\n", 2, 5, "expected a number"),
        ("time,metric,value,l\n1,m,1,a\u{0}b\n", 2, 7, "NUL"),
        // A lone CR ends a line (old Mac files): errors count it as one.
        ("time,metric,value\r1,m,1\r\r2,m,x\r", 4, 5, "expected a number"),
        ("time,metric,value,l\r1,m,1,\"a\rb\"\r2,m,x,c\r", 4, 5, "expected a number"),
        ("time,metric,value,__name__\n1,m,1,x\n", 1, 19, "__name__ is reserved"),
        // Columns count characters, not bytes (as query errors do): after CJK text, a byte order mark, é.
        ("time,ds,metric,value\n2024-05-01T00:00:00Z,日本,rc,abc\n", 2, 28, "expected a number"),
        ("\u{FEFF}time,metric,value\r\n2024-05-01T00:00:00Z,é,x\r\n", 2, 24, "expected a number"),
        ("time,metric,value,l\n1,m,1,\"日\nb\"\n1,mé,x,c\n", 4, 6, "expected a number"),
    ] as [(String, Int, Int?, String)])
    func errorsSayWhereAndWhat(text: String, line: Int, column: Int?, message: String) {
        let e = error(text)
        #expect(e?.file == "in.csv")
        #expect(e?.line == line, "\(String(describing: e))")
        #expect(e?.column == column, "\(String(describing: e))")
        #expect(e?.message.contains(message) == true, "\(String(describing: e))")
    }

    @Test func invalidUTF8InALabelIsRefusedNotMerged() throws {
        // Both cells decode to "x\u{FFFD}…"-like text when bytes are replaced; with 0xFF separators the two rows even
        // had the same raw key. They are different series, and neither is UTF-8: the file is refused where it is bad.
        var bytes = Array("time,metric,value,l1,l2\n2024-01-01T00:00:00Z,m,1,x".utf8) + [0xFF] + Array(",\n".utf8)
        bytes += Array("2024-01-02T00:00:00Z,m,2,x,".utf8) + [0xFF] + Array("\n".utf8)
        do {
            _ = try CSVImport.parse(bytes, fileName: "in.csv", origin: BatchOrigin(kind: "csv", source: "in.csv"))
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.file == "in.csv")
            #expect(error.line == 2 && error.column == 26 && error.field == "l1", "\(error)")
            #expect(error.message.contains("not valid UTF-8") && error.message.contains("0xFF"), "\(error)")
        }
        // A bad byte after valid multi-byte characters is found at its offset; valid ones pass.
        let later = Array("time,metric,value,l\n1,m,1,é".utf8) + [0xC3] + Array("\n".utf8)
        do {
            _ = try CSVImport.parse(later, fileName: "in.csv", origin: BatchOrigin(kind: "csv", source: "in.csv"))
            Issue.record("a truncated UTF-8 sequence was accepted")
        } catch {
            #expect(error.message.contains("0xC3 at byte 3 of the cell"), "\(error)")
        }
        #expect(try parse("time,metric,value,l\n1,m,1,aé€😀\n").series[0].key[label: "l"] == "aé€😀")
    }

    @Test func canonicallyEquivalentLabelValuesAreOneSeries() throws {
        // `é` precomposed and `e` + combining acute are the same label value to the store: one series, two points,
        // not an error about outcomes.
        let batch = try parse("time,metric,value,city\n1,m,1,caf\u{E9}\n2,m,2,cafe\u{301}\n")
        #expect(batch.series.count == 1)
        #expect(batch.pointCount == 2)
        #expect(batch.seriesIndexes == [0, 0])
        // A kind that differs is still an error, on the row that changes it.
        let e = error("time,metric,value,city,outcome\n1,m,1,caf\u{E9},pass\n2,m,2,cafe\u{301},\n")
        #expect(e?.line == 3 && e?.message.contains("with and without an outcome") == true, "\(String(describing: e))")
    }

    /// A duplicate name at the end of a header of 100,000 columns is found and named. (Comparing each name with
    /// every earlier one took minutes at this size; the time is not asserted here: timings belong in benchmarks.)
    @Test func aDuplicateAtTheEndOfAWideHeaderIsFound() {
        let header = "time,metric,value," + (0..<100_000).map { "c\($0)" }.joined(separator: ",") + ",c0\n"
        let e = error(header + "1,m,1" + String(repeating: ",", count: 100_001) + "\n")
        #expect(e?.message.contains("appears twice") == true && e?.field == "c0", "\(String(describing: e))")
    }
}
