/// A count with its noun, in the singular for one: "1 point", "3 points", "0 points".
func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
