/**
 * The dashboard's charting library: Apache ECharts (Apache-2.0), with only the charts and components
 * the dashboard draws registered (tree-shaken), on the canvas renderer. This module is imported
 * dynamically by `Chart.svelte`, so the library is a chunk of its own that only the Quality tab and
 * the "My statistics" page load.
 */
import { BarChart, CustomChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

use([BarChart, CustomChart, HeatmapChart, LineChart, ScatterChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export { init };
