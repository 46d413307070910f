import FreightTestSupport
import Testing

/// The test support's `.budget(minutes:)` arithmetic (the support module has no test target of
/// its own): `make test` gets the minutes as written, `make fuzz` and `make soak` more.
@Suite("time budgets", .budget(minutes: 1))
struct TimeBudgetTests {
    @Test("make test: the minutes as written")
    func plain() {
        #expect(TimeBudget.work(3, environment: [:]) == 3)
        #expect(TimeBudget.work(3, environment: ["FREIGHTLINER_PROPERTY_COUNT": "2000"]) == 3)
        #expect(TimeBudget.work(3, environment: ["FREIGHTLINER_PROPERTY_COUNT": "500"]) == 3)
    }

    @Test("make fuzz: times the property count over the default, rounded up")
    func properties() {
        #expect(TimeBudget.work(2, environment: ["FREIGHTLINER_PROPERTY_COUNT": "50000"]) == 50)
        #expect(TimeBudget.work(2, environment: ["FREIGHTLINER_PROPERTY_COUNT": "2001"]) == 4)
        #expect(TimeBudget.work(2, environment: ["FREIGHTLINER_PROPERTY_COUNT": "\(Int.max)"]) == 2000)
    }

    @Test("make soak: plus the soak's seconds, rounded up to minutes")
    func soak() {
        #expect(TimeBudget.work(5, environment: ["FREIGHTLINER_SOAK_SECONDS": "600"]) == 15)
        #expect(TimeBudget.work(5, environment: ["FREIGHTLINER_SOAK_SECONDS": "61"]) == 7)
        #expect(TimeBudget.work(5, environment: ["FREIGHTLINER_SOAK_SECONDS": "nan"]) == 5)
        #expect(TimeBudget.work(5, environment: ["FREIGHTLINER_SOAK_SECONDS": "-30"]) == 5)
    }

    @Test("every limit adds the wait for a thread to the work")
    func queueAllowance() {
        #expect(TimeBudget.minutes(3, environment: [:]) == TimeBudget.queueMinutes + 3)
        #expect(TimeBudget.minutes(5, environment: ["FREIGHTLINER_SOAK_SECONDS": "600"]) == TimeBudget.queueMinutes + 15)
    }
}
