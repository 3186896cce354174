@main struct TallyMain { static func main() {} }
