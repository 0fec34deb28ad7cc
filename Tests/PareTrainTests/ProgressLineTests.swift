import Testing
@testable import PareTrain

@Suite struct ProgressLineTests {
    let snapshot = ProgressLine.Snapshot(epoch: 2, epochs: 3, batch: 469, batches: 938, loss: 0.41234,
                                         imagesPerSecond: 1830.4, secondsLeft: 62)

    @Test func rendersEpochBarLossRateAndETA() {
        #expect(ProgressLine(isTerminal: true, width: 10).render(snapshot)
                == "epoch 2/3 [#####-----] 469/938 loss 0.4123 1830 img/s ETA 1:02")
    }

    @Test func terminalRedrawsInPlaceAndPlainOutputPrintsSometimes() {
        let terminal = ProgressLine(isTerminal: true)
        #expect(terminal.output(snapshot)?.hasPrefix("\r") == true)
        var last = snapshot
        last.batch = 938
        #expect(terminal.output(last)?.hasSuffix("\n") == true)
        let plain = ProgressLine(isTerminal: false)
        #expect(plain.output(snapshot, plainEvery: 100) == nil)
        var hundred = snapshot
        hundred.batch = 400
        #expect(plain.output(hundred, plainEvery: 100)?.hasPrefix("epoch 2/3") == true)
        #expect(plain.output(last)?.hasSuffix("\n") == true)
    }

    @Test func clockAndFixedFormatting() {
        #expect(ProgressLine.clock(5) == "0:05")
        #expect(ProgressLine.clock(3725) == "1:02:05")
        #expect(ProgressLine.clock(.infinity) == "?")
        #expect(formatFixed(2.30259, digits: 4) == "2.3026")
        #expect(formatFixed(-0.05, digits: 2) == "-0.05")
        #expect(formatFixed(0.99999, digits: 3) == "1.000")
        var nan = snapshot
        nan.loss = .nan
        #expect(ProgressLine(isTerminal: false).render(nan).contains("loss nan"))
    }
}
