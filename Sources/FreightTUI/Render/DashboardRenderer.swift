import Foundation

/// Rendering: a pure function of the state and the terminal size to a frame of cells.
public enum DashboardRenderer {
    /// Below this the panels cannot show their content; a "too small" screen says so.
    public static let minimumWidth = 60
    public static let minimumHeight = 18

    public static func render(_ state: DashboardState, width: Int, height: Int, glyphs: Glyphs) -> Frame {
        var canvas = Canvas(width: width, height: height, glyphs: glyphs)
        guard width >= minimumWidth, height >= minimumHeight else {
            TooSmallScreen.draw(&canvas, width: width, height: height, minimum: (minimumWidth, minimumHeight))
            return canvas.frame
        }
        switch state.mode {
        case .live:
            let layout = LiveLayout(width: width, height: height)
            HeaderPanel.draw(&canvas, state, in: layout.header)
            RepositoriesPanel.draw(&canvas, state, in: layout.repositories)
            TagsPanel.draw(&canvas, state, in: layout.tags)
            CompressionPanel.draw(&canvas, state, in: layout.compression)
            SecretsPanel.draw(&canvas, state, in: layout.secrets)
            EventsPanel.draw(&canvas, state, in: layout.events, since: state.run.info?.startedAt ?? state.openedAt)
            KeyBar.draw(&canvas, state, in: layout.keyBar)
        case .browse:
            let layout = BrowseLayout(width: width, height: height)
            SavedRunsPanel.drawHeader(&canvas, state, in: layout.header)
            SavedRunsPanel.draw(&canvas, state, in: layout.runs)
            SavedRunsPanel.drawDetail(&canvas, state, in: layout.detail)
            EventsPanel.draw(&canvas, state, in: layout.events, since: state.openedAt)
            KeyBar.draw(&canvas, state, in: layout.keyBar)
        }
        if state.view.showHelp { HelpOverlay.draw(&canvas, state, width: width, height: height) }
        return canvas.frame
    }

    /// Rows a page key should move for this size: the repository rows on screen.
    public static func pageSize(width: Int, height: Int) -> Int {
        max(1, LiveLayout(width: width, height: height).repositories.height - 3)
    }
}
