// vertex-image's front-end piece (JupyterLab 4 and Notebook 7): a real "Insert code" for the panel.
//
// A widget click reaches the kernel as a comm message, and front ends take a kernel's set_next_input
// only from a cell's execution. So the kernel opens a comm to the target 'vertex_image.cells' with
// {code, model_id}; this plugin, registered on every notebook's kernel, inserts a new code cell holding
// `code` below the cell whose output shows the widget `model_id` (the panel; else below the active
// cell), answers {ok: true} and closes the comm. Without this plugin the front end closes the comm at
// once (JupyterLab: no such target) or never answers, and the panel shows its copy box instead.
// Kernel side: ext/vertex_image/notebook/panel/insert.py.
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';

const TARGET = 'vertex_image.cells';
const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';

/** The index of the code cell whose outputs show the widget `modelId`, or -1. */
function cellShowing(notebook, modelId) {
  if (!modelId) {
    return -1;
  }
  const cells = notebook.widgets;
  for (let index = 0; index < cells.length; index++) {
    const model = cells[index].model;
    if (model.type !== 'code') {
      continue;
    }
    for (let at = 0; at < model.outputs.length; at++) {
      const view = model.outputs.get(at).data[WIDGET_VIEW];
      if (view && view.model_id === modelId) {
        return index;
      }
    }
  }
  return -1;
}

/** A new code cell holding `code` below the panel's cell; what to answer the kernel. */
function insertBelow(notebookPanel, data) {
  const notebook = notebookPanel.content;
  let index = cellShowing(notebook, data.model_id);
  if (index < 0) {
    index = notebook.activeCellIndex;
  }
  if (typeof data.code !== 'string' || index < 0) {
    return { ok: false, error: 'no code, or no cell to insert below' };
  }
  notebook.activeCellIndex = index;
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (cell.model.type !== 'code') {
    NotebookActions.changeCellType(notebook, 'code');
  }
  notebook.activeCell.model.sharedModel.setSource(data.code);
  return { ok: true, index: notebook.activeCellIndex };
}

const plugin = {
  id: 'vertex-image:insert-cell',
  description: "The panel's 'Insert code' puts the equivalent magic into a new cell below the panel.",
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app, tracker) => {
    const registered = new WeakSet();
    const watch = notebookPanel => {
      const context = notebookPanel.sessionContext;
      const register = () => {
        const kernel = context.session && context.session.kernel;
        if (!kernel || registered.has(kernel)) {
          return;
        }
        registered.add(kernel);
        kernel.registerCommTarget(TARGET, (comm, msg) => {
          let answer;
          try {
            answer = insertBelow(notebookPanel, msg.content.data || {});
          } catch (error) {
            answer = { ok: false, error: String(error) };
          }
          comm.send(answer);
          comm.close();
        });
      };
      context.kernelChanged.connect(register);
      context.sessionChanged.connect(register);
      context.ready.then(register).catch(() => undefined);
      register();
    };
    tracker.forEach(watch);
    tracker.widgetAdded.connect((_, notebookPanel) => watch(notebookPanel));
    document.body.dataset.vertexImageExtension = 'loaded'; // the browser test checks that it loaded
  }
};

export default plugin;
